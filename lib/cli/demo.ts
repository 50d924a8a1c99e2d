import { Model } from '../models/model'
import { Mesh } from '../net/mesh'
import { type Args, UsageError, numberFlag } from './args'
import { type Output, num } from './output'

/**
 * `demo`: several peers in this process, on loopback, each seeded with the
 * previous one only; they find each other by gossip, write concurrently,
 * converge, print what happened and exit.
 */
export async function cmdDemo (args: Args, out: Output): Promise<void> {
  const n = numberFlag(args, 'count', 4)
  const writes = numberFlag(args, 'writes', 250)
  const timeoutMs = numberFlag(args, 'timeout', 20_000)
  if (n < 2 || n > 32) throw new UsageError('--count must be between 2 and 32')
  const start = Date.now()
  const meshes: Mesh[] = []
  for (let i = 0; i < n; i++) {
    const prev = meshes[i - 1]?.address
    const m = await Mesh.start(new Model({ id: `peer-${i}` }), { peers: prev !== undefined ? [prev] : [], baseMs: 20, maxMs: 500 })
    meshes.push(m)
    out.event('peer', { id: m.id, address: m.address, seed: prev ?? null }, `started ${m.id} on ${m.address ?? ''}${prev !== undefined ? ` (seed: ${prev})` : ''}`)
  }
  const models = meshes.map((m) => m.replica as Model)
  const deadline = Date.now() + timeoutMs
  const wait = async (cond: () => boolean, what: string): Promise<void> => {
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`demo timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  try {
    await wait(() => meshes.every((m) => m.peers().length === n - 1), 'a full mesh')
    out.event('mesh', { peers: n, ms: Date.now() - start }, `full mesh: every peer linked to the ${n - 1} others (${Date.now() - start} ms)`)
    // Everyone writes at once: its own keys, and one shared key they fight over.
    for (let w = 0; w < writes; w++) {
      models.forEach((m, i) => {
        m.set(`${m.id}/${w}`, w)
        if (w === writes - 1) m.set('last-writer', `peer-${i}`)
      })
      if (w % 50 === 0) await new Promise((r) => setImmediate(r))
    }
    const expected = n * writes + 1
    await wait(() => models.every((m) => m.size === expected), 'convergence')
    const winner = models.map((m) => m.get('last-writer'))
    const same = winner.every((x) => x === winner[0])
    const ms = Date.now() - start
    out.event('converged', { peers: n, keys: expected, lastWriter: winner[0], agree: same, ms },
      `converged: ${n} peers hold the same ${num(expected)} keys; all agree "last-writer" = ${String(winner[0])} (${ms} ms)`)
    if (!same) throw new Error('peers disagree on the last writer')
  } finally {
    await Promise.all(meshes.map((m) => m.close()))
  }
}
