import type { Test } from 'tape'
import { VectorClock } from '../../lib/clock/vector-clock'
import { connect, type Disconnect } from '../../lib/stream/connect'
import type { Replica, ReplicaOptions } from '../../lib/replica/replica'
import type { Update } from '../../lib/wire/types'
import { Rng, seedFromEnv } from '../helpers/rng'

/** How the shared convergence suite drives one data type. */
export interface ConformanceSpec<R extends Replica> {
  /** Name used in test output. */
  name: string
  /** A new, empty replica. Pass `opts` through to the constructor. */
  create (opts: ReplicaOptions & { id: string }): R
  /** Perform one random local operation. */
  randomOp (r: R, rng: Rng): void
  /** A canonical, comparable snapshot of the visible state. */
  state (r: R): unknown
  /** Extra checks once converged (exactly-once delivery, invariants). */
  check? (replicas: readonly R[], t: Test): void
}

/** Options of `runConvergence`. */
export interface ConvergenceOptions {
  /** Scenarios to run. Default: CONFORMANCE_RUNS or 100. */
  runs?: number
  /** First seed; scenario i uses seed + i. Default: SEED or random. */
  seed?: number
  /** Steps per scenario. Default 60. */
  steps?: number
}

/** Let queued stream work run (one turn of the event loop). */
export const yieldToStreams = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Seeded random scenarios: 2 to 6 replicas sharing a coarse fake wall clock
 * (so equal timestamps happen), random operations, random links forming
 * cycles, random disconnects, and direct re-delivery of updates duplicated
 * and reordered across sources. Then a ring with chords joins everyone and
 * all replicas must reach the same state. A failure
 * prints the seed; `SEED=n` replays it.
 */
export async function runConvergence<R extends Replica> (t: Test, spec: ConformanceSpec<R>, opts: ConvergenceOptions = {}): Promise<void> {
  const runs = opts.runs ?? Number(process.env.CONFORMANCE_RUNS ?? 100)
  const base = opts.seed ?? seedFromEnv()
  let failures = 0
  for (let i = 0; i < runs && failures === 0; i++) {
    const seed = (base + i) >>> 0
    const problem = await scenario(spec, seed, opts.steps ?? 60, t)
    if (problem !== undefined) {
      failures++
      t.fail(`${spec.name}: ${problem} (replay with SEED=${seed} CONFORMANCE_RUNS=1)`)
    }
  }
  if (failures === 0) t.pass(`${spec.name}: ${runs} seeded scenarios converged (first seed ${base})`)
}

async function scenario<R extends Replica> (spec: ConformanceSpec<R>, seed: number, steps: number, t: Test): Promise<string | undefined> {
  const rng = new Rng(seed)
  let now = 1_700_000_000_000
  const wall = (): number => now
  const n = rng.int(2, 6)
  const replicas: R[] = []
  for (let i = 0; i < n; i++) replicas.push(spec.create({ id: `r${i}`, now: wall }))
  const links = new Map<string, Disconnect>()
  const key = (a: number, b: number): string => `${Math.min(a, b)}-${Math.max(a, b)}`
  const link = (a: number, b: number): void => {
    if (a === b || links.has(key(a, b))) return
    links.set(key(a, b), connect(replicas[a] as R, replicas[b] as R))
  }
  try {
    for (let s = 0; s < steps; s++) {
      const roll = rng.next()
      if (roll < 0.55) {
        spec.randomOp(rng.pick(replicas), rng)
      } else if (roll < 0.7) {
        link(rng.int(0, n - 1), rng.int(0, n - 1))
      } else if (roll < 0.8 && links.size > 0) {
        const k = rng.pick([...links.keys()])
        ;(links.get(k) as Disconnect)()
        links.delete(k)
      } else if (roll < 0.88) {
        redeliver(rng, rng.pick(replicas), rng.pick(replicas))
      } else if (roll < 0.93) {
        now += rng.int(0, 3) // coarse clock: many writes share a millisecond
      } else {
        await yieldToStreams()
      }
      if (rng.chance(0.3)) await yieldToStreams()
    }
    for (const d of links.values()) d()
    links.clear()
    await yieldToStreams()
    // Final topology: a ring plus random chords, so cycles are always present.
    for (let i = 0; i < n; i++) link(i, (i + 1) % n)
    for (let c = rng.int(0, n); c > 0; c--) link(rng.int(0, n - 1), rng.int(0, n - 1))
    // Settled: every link synced and all states equal, several rounds in a
    // row. Clocks need not match: a compacting type (Model) never sends an
    // update that another one already superseded.
    const deadline = Date.now() + 5000
    for (let stable = 0; stable < 5;) {
      if (Date.now() > deadline) return `did not converge: ${describe(replicas, spec)}`
      await yieldToStreams()
      const synced = [...links.values()].every((d) => d.a.synced && d.b.synced)
      stable = synced && sameState(replicas, spec) ? stable + 1 : 0
    }
    spec.check?.(replicas, t)
    return undefined
  } finally {
    for (const d of links.values()) d()
    for (const r of replicas) r.dispose()
  }
}

/** Hand `to` some of `from`'s history, duplicated and shuffled across sources (per-source order kept). */
export function redeliver (rng: Rng, from: Replica, to: Replica): void {
  if (from === to) return
  const all = [...from.history(new VectorClock())]
  const bySource = new Map<string, Update[]>()
  for (const u of all) {
    const list = bySource.get(u[2]) ?? []
    list.push(u)
    bySource.set(u[2], list)
  }
  const queues = [...bySource.values()]
  while (queues.length > 0) {
    const i = rng.int(0, queues.length - 1)
    const q = queues[i] as Update[]
    const u = q.shift() as Update
    to.receive(u, undefined)
    if (rng.chance(0.2)) to.receive(u, undefined) // duplicate
    if (q.length === 0) queues.splice(i, 1)
  }
}

function sameState<R extends Replica> (replicas: readonly R[], spec: ConformanceSpec<R>): boolean {
  const state = JSON.stringify(spec.state(replicas[0] as R))
  return replicas.every((r) => JSON.stringify(spec.state(r)) === state)
}

function sortedClock (r: Replica): Array<[string, number]> {
  return [...r.clock].sort((a, b) => (a[0] < b[0] ? -1 : 1))
}

function describe<R extends Replica> (replicas: readonly R[], spec: ConformanceSpec<R>): string {
  return replicas.map((r) => `${r.id}=${JSON.stringify(spec.state(r)).slice(0, 200)} clock=${JSON.stringify(sortedClock(r))}`).join(' | ')
}
