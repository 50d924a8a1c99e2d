import test from 'tape'
import { Bucket, Events, Model, Value, isGrapevineError } from '../../index'
import type { Replica, Update } from '../../index'
import { Rng, seedFromEnv } from '../helpers/rng'
import { mutateBytes, mutateJson, mutateUpdate, randomJson, rawBytes, specialLine } from '../fuzz/mutate'

const NAMES = ['m', 'v', 'e', 'constructor'] as const
const OTHER_NAMES = ['nope', 'toString', '__proto__', '', 'x'.repeat(300)]
const SOURCES = ['p1', 'p2', 'p3']
const LIMITS = { maxLineBytes: 4096, maxDepth: 16 }

function create (name: string, id: string): Replica {
  if (name === 'v') return new Value(id)
  if (name === 'e') return new Events(id)
  return new Model(id)
}

function state (r: Replica): string {
  if (r instanceof Model) return JSON.stringify([...r.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
  if (r instanceof Value) return JSON.stringify(r.get() ?? null)
  if (r instanceof Events) return JSON.stringify(r.events())
  return ''
}

/** A valid change for the replica type behind `name`. */
function change (name: string, rng: Rng): unknown {
  if (name === 'v') return randomJson(rng, 2)
  if (name === 'e') return [rng.pick(['chat', 'error', '__proto__']), randomJson(rng, 1)]
  return rng.chance(0.2) ? [rng.pick(['a', 'b', '__proto__'])] : [rng.pick(['a', 'b', '__proto__']), randomJson(rng, 2)]
}

interface Outcome { problems: string[], codes: Record<string, number>, accepted: number }

/** One session: a bucket's stream fed a seeded mix of valid, mutated and raw lines in random chunks. */
async function session (rng: Rng, out: Outcome): Promise<void> {
  const replicas = new Map(NAMES.map((n) => [n as string, create(n, `local-${n}`)]))
  const bucket = new Bucket('local')
  for (const [n, r] of replicas) bucket.add(n, r)
  const accepted = new Map<string, Update[]>(NAMES.map((n) => [n as string, []]))
  for (const [n, r] of replicas) r.subscribe((u, origin) => { if (origin !== undefined) accepted.get(n)?.push(u) })
  const stream = bucket.createStream({ ...LIMITS, maxInvalid: 50 })
  const code = (err: unknown): void => {
    if (!isGrapevineError(err)) out.problems.push(`uncoded: ${String(err)}`)
    else out.codes[err.code] = (out.codes[err.code] ?? 0) + 1
  }
  stream.on('invalid', code)
  stream.on('error', code)
  let output = ''
  stream.on('data', (b: Buffer) => { output += b.toString('utf8') })

  const header = { id: 'peer', clock: {}, proto: 'grapevine-bucket/1', buckets: Object.fromEntries(NAMES.filter(() => rng.chance(0.7)).map((n) => [n, {}])) }
  let ts = Date.now() - 100_000
  const lines: Buffer[] = []
  if (rng.chance(0.9)) lines.push(Buffer.from(JSON.stringify(header)))
  for (let i = rng.int(5, 60); i > 0; i--) {
    const name = rng.chance(0.85) ? rng.pick(NAMES) : rng.pick(OTHER_NAMES)
    const valid: Update = [change(name, rng), (ts += rng.int(1, 50)), rng.pick(SOURCES)] as unknown as Update
    const roll = rng.next()
    let v: unknown
    if (roll < 0.4) v = [name, valid]
    else if (roll < 0.55) v = [name, mutateUpdate(valid, rng, SOURCES)]
    else if (roll < 0.65) v = mutateJson([name, valid], rng)
    else if (roll < 0.75) v = [name, rng.pick([{ clock: {} }, { clock: { p1: ts }, reply: true }, 'SYNC', 'DROP', mutateJson({ clock: {} }, rng)])]
    else if (roll < 0.96) v = rng.chance(0.05) ? header : rng.chance(0.1) ? 'SYNC' : randomJson(rng, 3)
    if (v !== undefined) {
      const line = Buffer.from(JSON.stringify(v) ?? 'null')
      lines.push(rng.chance(0.05) ? mutateBytes(line, rng) : line)
    } else {
      lines.push(rng.chance(0.5) ? rawBytes(rng) : specialLine(rng, LIMITS, header))
    }
  }
  const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]))
  for (let at = 0; at < bytes.length && !stream.destroyed;) {
    const n = rng.int(1, 300)
    stream.write(bytes.subarray(at, at + n))
    at += n
  }
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))

  // State equals a reference that received only the accepted updates.
  for (const [n, r] of replicas) {
    const ref = create(n, `ref-${n}`)
    const list = accepted.get(n) ?? []
    out.accepted += list.length
    for (const u of list) ref.receive(u, undefined)
    if (state(ref) !== state(r)) out.problems.push(`${n}: state ${state(r).slice(0, 80)} but reference ${state(ref).slice(0, 80)}`)
    const last = list[list.length - 1]
    if (last !== undefined && r.clock.get(last[2]) < last[1]) out.problems.push(`${n}: clock behind an accepted update`)
    ref.dispose()
  }
  for (const line of output.split('\n').slice(0, -1)) {
    try { JSON.parse(line) } catch { out.problems.push(`sent a non-JSON line: ${line.slice(0, 60)}`) }
  }
  if (output.length > 0 && !output.startsWith('{')) out.problems.push('first line sent is not our header')
  stream.destroy()
  bucket.dispose()
  for (const r of replicas.values()) r.dispose()
}

test('hostile input to a bucket stream: no crash, every fault coded, state equals the accepted updates', async (t) => {
  const seed = seedFromEnv()
  const sessions = Number(process.env.FUZZ_SESSIONS ?? 300)
  const out: Outcome = { problems: [], codes: {}, accepted: 0 }
  const rng = new Rng(seed)
  for (let i = 0; i < sessions && out.problems.length === 0; i++) await session(rng, out)
  const replay = `(replay with SEED=${seed} FUZZ_SESSIONS=${sessions})`
  t.deepEqual(out.problems, [], `${sessions} sessions, ${out.accepted} updates accepted, codes ${JSON.stringify(out.codes)} ${replay}`)
  for (const c of ['ERR_INVALID_UPDATE', 'ERR_PROTOCOL', 'ERR_INVALID_JSON']) {
    t.ok((out.codes[c] ?? 0) > 0, `the input reached ${c}`)
  }
  t.ok(out.accepted > 0, 'and valid updates got through')
})
