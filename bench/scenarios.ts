import { performance } from 'node:perf_hooks'
import { openWire, type TransportName } from './transport'
import type { Peer, System } from './systems/types'

/** One measured run: named figures, plus whether the replicas converged. */
export interface Sample {
  figures: Record<string, number>
  converged: boolean
}

/** Parameters of a scenario run (each scenario reads what it needs). */
export interface Params {
  n?: number
  k?: number
  transport?: TransportName
  replicas?: number
  writes?: number
  /** Measured runs after the warm-up. */
  runs: number
  /** Warm-up runs before them. Default 2; 0 measures a cold start (JIT not warmed). */
  warmups?: number
  /** Give up waiting after this long (ms). */
  limitMs?: number
}

export type Scenario = (sys: System, p: Params) => Promise<Sample[]>

const gc = (globalThis as { gc?: () => void }).gc
function collect (): void { if (gc !== undefined) { gc(); gc() } }

/**
 * A forced GC, then a pause for the sweeping it leaves behind, so a
 * measurement starts on a quiet heap rather than paying for that sweep.
 */
async function quiesce (): Promise<void> {
  collect()
  await sleep(50)
}

/** Keys and short string values for `n` entries. */
export function entries (n: number, prefix: string): { keys: string[], values: string[] } {
  const keys = new Array<string>(n)
  const values = new Array<string>(n)
  for (let i = 0; i < n; i++) {
    keys[i] = `${prefix}${i}`
    values[i] = `v${(i * 7919).toString(36)}`
  }
  return { keys, values }
}

/** CPU time of this process since `from`, in ms (both replicas live here). */
function cpuSince (from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1000
}

/** Resolve once `cond()` holds, re-checked whenever a peer applies remote changes. */
export function waitFor (peers: Peer[], cond: () => boolean, limitMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      for (const p of peers) p.onProgress = () => {}
      if (err !== undefined) reject(err)
      else resolve()
    }
    const timer = setTimeout(() => finish(new Error('did not finish')), limitMs)
    const check = (): void => { if (cond()) finish() }
    for (const p of peers) p.onProgress = check
    check()
  })
}

/** Warm up `warmups` times at `warmN` (so the JIT has settled), then take `runs` samples at `n`. */
async function measure (once: (n: number) => Promise<Sample>, n: number, warmN: number, runs: number, warmups = 2): Promise<Sample[]> {
  for (let w = 0; w < warmups; w++) await once(warmN)
  const out: Sample[] = []
  for (let r = 0; r < runs; r++) out.push(await once(n))
  return out
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function sameValues (p: Peer, keys: readonly string[], values: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (p.get(keys[i] as string) !== values[i]) return false
  return true
}

/** B holds exactly these keys and values (a stateless ceiling: it parsed as many updates). */
function holds (sys: System, b: Peer, keys: readonly string[], values: readonly string[]): boolean {
  if (sys.stateless === true) return b.received >= keys.length
  return b.size() === keys.length && sameValues(b, keys, values)
}

/** S1 initial sync: A holds n keys, B is empty; time until B has all, bytes each way. */
export const s1: Scenario = async (sys, p) => {
  const n = p.n ?? 10_000
  const once = async (size: number): Promise<Sample> => {
    const { keys, values } = entries(size, 'key')
    const a = sys.create('A')
    const b = sys.create('B')
    a.fill(keys, values)
    const wire = await openWire(p.transport ?? 'pipe')
    await quiesce()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    wire.attach(a.stream(), b.stream())
    await waitFor([b], () => b.received >= size, p.limitMs)
    const ms = performance.now() - t0
    const figures = { ms, cpuMs: cpuSince(c0), bytesAB: wire.ab, bytesBA: wire.ba, bytesPerUpdate: wire.ab / size }
    const converged = holds(sys, b, keys, values)
    await wire.close()
    a.dispose()
    b.dispose()
    return { figures, converged }
  }
  return await measure(once, n, Math.min(n, 20_000), p.runs, p.warmups)
}

/** Size of one JSON-lines update and of a header, as a yardstick for S2 bytes. */
function idealBytes (keys: readonly string[], values: readonly string[]): number {
  const ts = 1_763_700_000_000.123
  let bytes = 2 * (JSON.stringify({ id: 'A', clock: { A: ts } }).length + 1)
  for (let i = 0; i < keys.length; i++) bytes += JSON.stringify([[keys[i], values[i]], ts, 'A']).length + 1
  return bytes
}

/** S2 reconnect: A and B synced with n keys; A makes k changes offline; time and bytes to catch up. */
export const s2: Scenario = async (sys, p) => {
  const n = p.n ?? 100_000
  const k = p.k ?? 100
  const { keys, values } = entries(n, 'key')
  const a = sys.create('A')
  const b = sys.create('B')
  a.fill(keys, values)
  const first = await openWire('tcp')
  first.attach(a.stream(), b.stream())
  await waitFor([b], () => b.received >= n, p.limitMs)
  await first.close()
  await sleep(10)
  const out: Sample[] = []
  let fresh = 0
  for (let r = 0; r <= p.runs; r++) {
    // Half overwrite old keys, half are new keys.
    const ck: string[] = []
    const cv: string[] = []
    for (let i = 0; i < k; i++) {
      const key = i % 2 === 0 ? (keys[(r * 7919 + i * 104729) % n] as string) : `new${fresh++}`
      if (ck.includes(key)) continue
      ck.push(key)
      cv.push(`w${r}-${i}`)
    }
    for (let i = 0; i < ck.length; i++) a.set(ck[i] as string, cv[i] as string)
    const wire = await openWire('tcp')
    const before = b.received
    // No forced GC here: its background sweeping would be billed to a 2 ms reconnect.
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    wire.attach(a.stream(), b.stream())
    await waitFor([b], () => b.received >= before + ck.length, p.limitMs)
    const ms = performance.now() - t0
    const cpuMs = cpuSince(c0)
    // Let the handshake finish so the bytes include both headers.
    await sleep(20)
    const bytes = wire.ab + wire.ba
    const ideal = idealBytes(ck, cv)
    const converged = sys.stateless === true ? b.received >= before + ck.length : sameValues(b, ck, cv)
    await wire.close()
    await sleep(5)
    if (r > 0) out.push({ figures: { ms, cpuMs, bytes, ideal, overIdeal: bytes / ideal }, converged })
  }
  a.dispose()
  b.dispose()
  return out
}

/** S3 live throughput: A writes n updates while connected; updates/s applied on B. */
export const s3: Scenario = async (sys, p) => {
  const n = p.n ?? 200_000
  const once = async (size: number): Promise<Sample> => {
    const { keys, values } = entries(size, 'live')
    const a = sys.create('A')
    const b = sys.create('B')
    const wire = await openWire(p.transport ?? 'pipe')
    wire.attach(a.stream(), b.stream())
    await sleep(20)
    await quiesce()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const done = waitFor([b], () => b.received >= size, p.limitMs)
    for (let i = 0; i < size; i += 1000) {
      const end = Math.min(size, i + 1000)
      for (let j = i; j < end; j++) a.set(keys[j] as string, values[j] as string)
      await tick()
    }
    await done
    const ms = performance.now() - t0
    const figures = { ms, ups: size / (ms / 1000), upsCpu: size / (cpuSince(c0) / 1000) }
    const converged = holds(sys, b, keys, values)
    await wire.close()
    a.dispose()
    b.dispose()
    return { figures, converged }
  }
  return await measure(once, n, Math.min(n, 20_000), p.runs, p.warmups)
}

/**
 * S4 mesh: a ring with chords; each replica writes; time to converge, and
 * updates delivered over the minimum. Delivered counts updates, whatever
 * the chunking: each update that reached a replica from a peer, duplicates
 * and stale ones included (grapevine: stream stats.updatesReceived;
 * scuttlebutt: applied and old updates; Yjs: structs in the
 * sync messages received).
 */
export const s4: Scenario = async (sys, p) => {
  const count = p.replicas ?? 10
  const writes = p.writes ?? 1000
  const once = async (w: number): Promise<Sample> => {
    const peers: Peer[] = []
    for (let i = 0; i < count; i++) peers.push(sys.create(`r${i}`, { countDelivered: true }))
    const edges: Array<[number, number]> = []
    for (let i = 0; i < count; i++) edges.push([i, (i + 1) % count])
    for (let i = 0; i < Math.floor(count / 2); i++) edges.push([i, i + Math.floor(count / 2)])
    const wires = []
    for (const [i, j] of edges) {
      const wire = await openWire('pipe')
      wire.attach((peers[i] as Peer).stream(), (peers[j] as Peer).stream())
      wires.push(wire)
    }
    await sleep(50)
    const target = (count - 1) * w
    await quiesce()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const done = waitFor(peers, () => peers.every((q) => q.received >= target), p.limitMs)
    for (let j = 0; j < w; j += 100) {
      for (let i = 0; i < count; i++) {
        const end = Math.min(w, j + 100)
        for (let x = j; x < end; x++) (peers[i] as Peer).set(`p${i}-${x}`, `v${x}`)
      }
      await tick()
    }
    await done
    const ms = performance.now() - t0
    const cpuMs = cpuSince(c0)
    // Duplicates still in flight count too: wait for the links to go quiet.
    let last = -1
    for (;;) {
      await sleep(30)
      const d = peers.reduce((s, q) => s + q.delivered(), 0)
      if (d === last) break
      last = d
    }
    const minimum = count * w * (count - 1)
    const converged = peers.every((q) => q.size() === count * w) &&
      peers.every((q) => q.get(`p0-${w - 1}`) === `v${w - 1}`)
    for (const wire of wires) await wire.close()
    for (const q of peers) q.dispose()
    return { figures: { ms, cpuMs, delivered: last, ratio: last / minimum }, converged }
  }
  return await measure(once, writes, Math.min(writes, 100), p.runs, 1)
}

/**
 * S5 memory: bytes per key of an n-key map, beyond the keys and values
 * themselves, counting the JS heap and memory outside it (typed arrays,
 * buffers: `external`); RSS growth is reported beside it.
 */
export const s5: Scenario = async (sys, p) => {
  const n = p.n ?? 1_000_000
  if (gc === undefined) throw new Error('S5 needs node --expose-gc')
  const out: Sample[] = []
  for (let r = 0; r < p.runs; r++) out.push(memoryOnce(sys, n))
  return out
}

/** Heap and off-heap bytes in use (ArrayBuffers are part of `external`). */
function inUse (): { all: number, heap: number, rss: number } {
  const m = process.memoryUsage()
  return { all: m.heapUsed + m.external, heap: m.heapUsed, rss: m.rss }
}

/** One S5 measurement; a function of its own so nothing of it outlives the call. */
function memoryOnce (sys: System, n: number): Sample {
  collect()
  const { keys, values } = entries(n, 'key')
  collect()
  const m1 = inUse()
  const peer = sys.create('A')
  peer.fill(keys, values)
  collect()
  const m2 = inUse()
  const converged = peer.size() === n && peer.get(keys[n - 1] as string) === values[n - 1]
  peer.dispose()
  return { figures: { bytesPerKey: (m2.all - m1.all) / n, heapPerKey: (m2.heap - m1.heap) / n, rssPerKey: (m2.rss - m1.rss) / n }, converged }
}

export const scenarios: Record<string, Scenario> = { s1, s2, s3, s4, s5 }
