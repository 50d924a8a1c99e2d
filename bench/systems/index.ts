import { grapevineSystem } from './grapevine'
import { rawSystem } from './raw'
import { scuttlebuttSystem } from './scuttlebutt'
import { yjsSystem } from './yjs'
import type { System } from './types'

/** Every system the bench knows, by name. */
export const systems: Record<string, System> = {
  grapevine: grapevineSystem(),
  'grapevine-bin': grapevineSystem('grapevine-bin', { codecs: ['gv-bin/1'] }),
  raw: rawSystem,
  scuttlebutt: scuttlebuttSystem,
  yjs: yjsSystem
}
