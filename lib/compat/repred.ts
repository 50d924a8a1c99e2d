// grapevine/repred: `var repred = require('grapevine/repred')`, repred's
// factory on grapevine's Reducer. See docs/compat.md.
import { invalidArgument } from '../errors/grapevine-error'
import { Reducer } from '../models/reducer'
import type { Update } from '../wire/types'

/** repred's reduce: fold `change` into `collection` in place, return what changed (empty: nothing). */
type RepredReduce<S extends object> = (this: Repred<S>, collection: S, change: unknown) => unknown
/** repred's map: turn `update(...args)` into a change; null or undefined skips it. */
type RepredMap<S extends object> = (this: Repred<S>, ...args: unknown[]) => unknown

/** repred's test for "nothing changed": nullish, not an object, `[]`, or `{}`. */
function isEmpty (change: unknown): boolean {
  if (change === null || typeof change !== 'object') return true
  if (Array.isArray(change)) return change.length === 0
  for (const k in change) { void k; return false }
  return true
}

/**
 * A Reducer shaped like a repred instance: `update(...args)` runs the map
 * (if any) and the reduce, `collection` is the state, and
 * `'update' (change, source)` fires for every change that had an effect,
 * local or remote. Accepted updates are announced as `'_update'`.
 */
class Repred<S extends object> extends Reducer<S, unknown> {
  private readonly map: RepredMap<S> | undefined

  constructor (map: RepredMap<S> | undefined, reduce: RepredReduce<S>, initial: S) {
    const self: { it?: Repred<S> } = {}
    super({
      initial,
      // repred reduces with the replica as `this`, and an empty result means "no effect".
      reduce: (collection, change) => {
        const applied = reduce.call(self.it as Repred<S>, collection, change)
        return isEmpty(applied) ? null : applied
      }
    })
    self.it = this
    this.map = map
    this.on('change', Repred.forward)
  }

  private static forward (this: Repred<object>, applied: unknown, update: Update): void {
    this.emit('update', applied, update[2])
  }

  /** The current state (repred's name for it). Read it, never mutate it. */
  get collection (): S {
    return this.state
  }

  /** Map (if there is a map) and reduce a change here, and send it everywhere if it had an effect. */
  override update (...args: unknown[]): this {
    const change = this.map !== undefined ? this.map.apply(this, args) : args[0]
    if (change === null || change === undefined) return this
    super.update(change)
    return this
  }

  protected override emitControl (name: string, ...args: unknown[]): void {
    super.emitControl(name === 'update' ? '_update' : name, ...args)
  }
}

/** `repred(reduce, initial)` or `repred(map, reduce, initial)`: a replicated reduce, as repred made. */
function repred<S extends object> (reduce: RepredReduce<S>, initial: S): Repred<S>
function repred<S extends object> (map: RepredMap<S>, reduce: RepredReduce<S>, initial: S): Repred<S>
function repred<S extends object> (...args: unknown[]): Repred<S> {
  const initial = args.pop()
  const reduce = args.pop()
  const map = args.pop()
  if (typeof initial !== 'object' || initial === null) invalidArgument('repred needs an initial collection (a JSON object or array)')
  if (typeof reduce !== 'function') invalidArgument('repred needs a reduce(collection, change) function')
  if (map !== undefined && typeof map !== 'function') invalidArgument('repred\'s map must be a function')
  return new Repred<S>(map as RepredMap<S> | undefined, reduce as RepredReduce<S>, initial as S)
}

// Types for TypeScript callers: `import repred = require('grapevine/repred')`, then `repred.Instance<S>`.
namespace repred {
  /** What `repred(...)` returns. */
  export type Instance<S extends object> = Repred<S>
  /** The reduce function. */
  export type Reduce<S extends object> = RepredReduce<S>
  /** The optional map function. */
  export type Map<S extends object> = RepredMap<S>
}

export = repred
