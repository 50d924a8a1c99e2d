import { grapevineSystem } from './grapevine'
import { parseSystem, rawSystem } from './raw'
import { scuttlebuttSystem } from './scuttlebutt'
import { yjsSystem } from './yjs'
import type { System } from './types'

/** Every system the bench knows, by name. */
export const systems: Record<string, System> = {
  grapevine: grapevineSystem('grapevine', { codecs: [] }),
  'grapevine-bin': grapevineSystem('grapevine-bin'),
  raw: rawSystem,
  parse: parseSystem,
  scuttlebutt: scuttlebuttSystem,
  yjs: yjsSystem
}
