import { Events, Model, Value } from '../../index'
import type { Replica, ReplicaOptions } from '../../lib/replica/replica'
import type { Rng } from '../helpers/rng'
import { randomJson } from './mutate'

/** How the fuzzer drives one data type: make one, and make it write something valid. */
export interface FuzzType {
  name: string
  create (opts: ReplicaOptions): Replica
  write (replica: Replica, rng: Rng): void
}

/** Narrow a typed spec to the list's element type (the write gets its own type back). */
function fuzzType<R extends Replica> (spec: { name: string, create: (opts: ReplicaOptions) => R, write: (r: R, rng: Rng) => void }): FuzzType {
  return spec as unknown as FuzzType
}

const KEYS = ['a', 'b', 'k', '__proto__', 'constructor', 'toString', '', 'change']
const EVENTS = ['chat', 'error', 'close', 'dispose', '__proto__', 'update', 'x']

/**
 * Every data type exported from index.ts. A new type is one entry here:
 * its constructor and one random valid write.
 */
export const FUZZ_TYPES: FuzzType[] = [
  fuzzType({
    name: 'Model',
    create: (o) => new Model(o),
    write: (m, rng) => {
      const k = rng.pick(KEYS)
      if (rng.chance(0.2)) m.delete(k)
      else m.set(k, randomJson(rng, 3))
    }
  }),
  fuzzType({
    name: 'Value',
    create: (o) => new Value(o),
    write: (v, rng) => { v.set(randomJson(rng, 3)) }
  }),
  fuzzType({
    name: 'Events',
    create: (o) => new Events(o),
    write: (e, rng) => {
      const args: unknown[] = []
      for (let i = rng.int(0, 3); i > 0; i--) args.push(randomJson(rng, 2))
      e.emit(rng.pick(EVENTS), ...args)
    }
  })
]
