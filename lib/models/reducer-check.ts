import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import { canonicalJSON, cloneJSON } from './json'

/** The spec shape `checkReducer` needs (kept local to avoid an import cycle). */
interface Spec<S, C> {
  reduce (state: S, change: C): C | null
  initial: S
}

/** Options of `Reducer.check`. */
export interface ReducerCheckOptions {
  /** Shuffled orders (with repeats) of all samples to compare. Default 20. */
  orders?: number
  /** Seed of the shuffles, so a failure replays. Default 1. */
  seed?: number
}

/** The rules `Reducer.check` enforces, as named in ERR_REDUCER_RULE details. */
export type ReducerRule = 'json' | 'pure' | 'no-op' | 'idempotent' | 'commutative' | 'order'

function broken (rule: ReducerRule, message: string, changes: readonly unknown[]): never {
  throw new GrapevineError('ERR_REDUCER_RULE', `reducer breaks the ${rule} rule: ${message}`, { rule, changes })
}

/**
 * Apply `changes` to a fresh copy of the initial state, checking per step
 * that the state stays JSON, the change is not mutated, and a null result
 * left the state untouched. Returns the canonical final state.
 */
function run<S, C> (spec: Spec<S, C>, changes: readonly C[]): string {
  const state = cloneJSON(spec.initial)
  let text = canonicalJSON(state) as string
  for (const c of changes) {
    const before = canonicalJSON(c)
    const applied = spec.reduce(state, cloneJSON(c))
    const after = canonicalJSON(state)
    if (after === undefined) broken('json', 'state is no longer plain JSON (undefined, NaN, Map, Date, class instance?)', [c])
    if (applied !== null && canonicalJSON(applied) === undefined) broken('json', 'the applied change is not plain JSON', [c])
    if (applied === null && after !== text) broken('no-op', 'reduce returned null but changed the state', [c])
    if (canonicalJSON(c) !== before) broken('pure', 'reduce mutated the change it was given', [c])
    text = after
  }
  return text
}

/** mulberry32: a tiny seeded PRNG so a failing check replays exactly. */
function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6D2B79F5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Check the rules a Reducer spec must follow against sample changes; throws
 * ERR_REDUCER_RULE (details: `rule`, `changes`) at the first break.
 */
export function checkReducer<S, C> (spec: Spec<S, C>, samples: readonly C[], opts: ReducerCheckOptions = {}): void {
  if (canonicalJSON(spec.initial) === undefined) broken('json', 'the initial state is not plain JSON', [])
  for (const c of samples) if (c === null || canonicalJSON(c) === undefined) invalidArgument('samples must be plain JSON values other than null')
  for (const c of samples) {
    if (run(spec, [c]) !== run(spec, [c])) broken('pure', 'the same change on the same state gave different states', [c])
    if (run(spec, [c, c]) !== run(spec, [c])) broken('idempotent', 'applying a change twice differs from applying it once', [c])
  }
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const a = samples[i] as C
      const b = samples[j] as C
      if (run(spec, [a, b]) !== run(spec, [b, a])) broken('commutative', 'two changes give different states in the two orders', [a, b])
    }
  }
  // Whole sequences, shuffled with repeats: catches what pairs miss (associativity, context).
  const expected = run(spec, samples)
  const next = rng(opts.seed ?? 1)
  for (let k = 0; k < (opts.orders ?? 20); k++) {
    const seq = [...samples]
    for (let i = seq.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      const tmp = seq[i] as C
      seq[i] = seq[j] as C
      seq[j] = tmp
    }
    for (const c of samples) if (next() < 0.3) seq.splice(Math.floor(next() * (seq.length + 1)), 0, c)
    if (run(spec, seq) !== expected) broken('order', 'a shuffled order (with repeats) of the samples ends in a different state', seq)
  }
}
