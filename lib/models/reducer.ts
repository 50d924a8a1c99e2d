import { VectorClock } from '../clock/vector-clock'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import { Replica, type ReplicaOptions } from '../replica/replica'
import { UpdateLog } from '../replica/update-log'
import type { Update } from '../wire/types'
import { canonicalJSON, cloneJSON, requireJSON } from './json'
import { checkReducer, type ReducerCheckOptions } from './reducer-check'

/**
 * The user's data type. `reduce(state, change)` folds one change into
 * `state` (mutating it in place) and returns what actually changed, or
 * `null` when the change adds nothing. It must be deterministic,
 * commutative, associative and idempotent, and keep `state` JSON: see
 * docs/types.md and `Reducer.check`.
 */
export interface ReducerSpec<S extends object, C> {
  /** Fold `change` into `state` in place; return the applied part, or null for "no effect". */
  reduce (state: S, change: C): C | null
  /** The starting state, a JSON object or array; each replica gets its own deep copy. */
  initial: S
  /** Type guard for a peer's change. Default: every JSON value but null. */
  isChange? (change: unknown): change is C
}

/** Options of `new Reducer()`: the spec plus ReplicaOptions. */
export interface ReducerOptions<S extends object, C> extends ReducerSpec<S, C>, ReplicaOptions {
  /**
   * Development aid: before each local `update`, run `Reducer.check` on it
   * together with the last few changes (both orders, repeats) and throw
   * ERR_REDUCER_RULE if a rule breaks. Costs a few dozen reduces per update.
   * Default false.
   */
  check?: boolean
}

/** How many recent changes the dev-mode check pairs a new change with. */
const CHECK_WINDOW = 8

/**
 * A replica of user-defined data (the successor of repred): write with
 * `update(change)`, read `state`. Unlike repred it syncs by vector clock:
 * a peer receives only the changes it is missing.
 *
 * Only changes that had an effect are kept and replicated; because the
 * reducer is idempotent and commutative, a change that had no effect here is
 * already covered by changes that did. History grows with the number of
 * effective changes.
 *
 * Emits `'change' (applied, update)` for every change that had an effect.
 */
export class Reducer<S extends object = Record<string, unknown>, C = unknown> extends Replica {
  private readonly spec: ReducerSpec<S, C>
  private readonly current: S
  private readonly devCheck: boolean
  private readonly recent: C[] = []
  /** Effective updates per source, in timestamp order. */
  private readonly log = new UpdateLog<Update>()
  /** Set by `update()`: the change was already reduced locally. */
  private preApplied: { applied: C } | undefined

  constructor (opts: ReducerOptions<S, C>) {
    super(opts)
    if (typeof opts?.reduce !== 'function') invalidArgument('Reducer needs a reduce(state, change) function')
    if (typeof opts.initial !== 'object' || opts.initial === null) invalidArgument('initial state must be a JSON object or array (wrap a number in an object)')
    requireJSON(opts.initial, 'initial state')
    this.spec = { reduce: opts.reduce, initial: cloneJSON(opts.initial), ...(opts.isChange !== undefined ? { isChange: opts.isChange } : {}) }
    this.current = cloneJSON(opts.initial)
    this.devCheck = opts.check === true
  }

  /**
   * Check a spec against sample changes: every pair in both orders, each
   * change twice, shuffled sequences, JSON-safety and determinism. Throws
   * ERR_REDUCER_RULE naming the broken rule and the changes involved.
   */
  static check<S extends object, C> (spec: ReducerSpec<S, C>, samples: readonly C[], opts: ReducerCheckOptions = {}): void {
    checkReducer(spec, samples, opts)
  }

  /** The current state. Read it, never mutate it: that would bypass replication. */
  get state (): S {
    return this.current
  }

  /** Number of effective changes held (the size of a full history). */
  get size (): number {
    return this.log.size
  }

  /**
   * Apply a change here and send it everywhere. Returns the applied part,
   * or null when it changed nothing (then nothing is sent).
   */
  update (change: C): C | null {
    if (change === null) invalidArgument('change must not be null')
    requireJSON(change, 'change')
    if (this.disposed) throw new GrapevineError('ERR_DISPOSED', 'replica is disposed')
    const own = cloneJSON(change)
    if (this.devCheck) checkReducer(this.spec, [...this.recent, own], { orders: 4 })
    const applied = this.spec.reduce(this.current, cloneJSON(own))
    if (applied === null) return null
    this.preApplied = { applied }
    try {
      this.localUpdate(own)
    } finally {
      this.preApplied = undefined
    }
    if (this.devCheck) {
      this.recent.push(own)
      if (this.recent.length > CHECK_WINDOW) this.recent.shift()
    }
    return applied
  }

  toJSON (): S {
    return this.current
  }

  /** A new replica with the same spec, holding this state and kept in sync. */
  override clone (): this {
    const copy = new Reducer<S, C>({ ...this.spec, initial: cloneJSON(this.spec.initial), maxDriftMs: this.maxDriftMs })
    for (const u of this.history(new VectorClock())) copy.receive(u, undefined)
    const a = this.createStream()
    const b = copy.createStream()
    a.pipe(b).pipe(a)
    return copy as this
  }

  protected applyUpdate (update: Update): boolean {
    let applied: C | null
    if (this.preApplied !== undefined) {
      applied = this.preApplied.applied
    } else {
      const change: unknown = update[0]
      if (change === null || canonicalJSON(change) === undefined) return false
      if (this.spec.isChange !== undefined && !this.spec.isChange(change)) return false
      try {
        // A copy: the reducer may keep parts of the change inside the state.
        applied = this.spec.reduce(this.current, cloneJSON(change as C))
      } catch {
        return false // the reducer refused it (it must throw before mutating)
      }
      if (applied === null) return true // covered by what is here already
    }
    this.log.append(update)
    this.afterCommit(() => this.emit('change', applied, update))
    return true
  }

  history (clock: VectorClock): Update[] {
    return this.log.since(clock)
  }
}
