// grapevine/scuttlebutt: `var Scuttlebutt = require('grapevine/scuttlebutt')`,
// the base class for scuttlebutt-shaped data types. See docs/compat.md.
import { callable } from '../callable'
import { Scuttlebutt } from './scuttlebutt'

const ScuttlebuttCompat = callable(Scuttlebutt, { oldStyleSubclasses: true })
export = ScuttlebuttCompat
