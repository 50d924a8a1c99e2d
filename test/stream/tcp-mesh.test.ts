import test from 'tape'
import { Model } from '../../index'
import { overTcp, tick, until } from '../helpers/replicas'
import { Rng, seedFromEnv } from '../helpers/rng'

test('five replicas in a TCP ring with chords converge through writes, cuts and reconnects', async (t) => {
  const seed = seedFromEnv()
  const rng = new Rng(seed)
  const n = 5
  const nodes = Array.from({ length: n }, (_, i) => new Model(`n${i}`))
  const pairs: Array<[number, number]> = []
  for (let i = 0; i < n; i++) pairs.push([i, (i + 1) % n])
  pairs.push([0, 2], [1, 3])
  const links = await Promise.all(pairs.map(([a, b]) => overTcp(nodes[a] as Model, nodes[b] as Model)))
  for (let round = 0; round < 5; round++) {
    for (let w = 0; w < 40; w++) rng.pick(nodes).set(`k${rng.int(0, 30)}`, rng.int(0, 1000))
    const i = rng.int(0, links.length - 1)
    await (links[i] as Awaited<ReturnType<typeof overTcp>>).close()
    for (let w = 0; w < 20; w++) rng.pick(nodes).set(`k${rng.int(0, 30)}`, rng.int(0, 1000))
    const [a, b] = pairs[i] as [number, number]
    links[i] = await overTcp(nodes[a] as Model, nodes[b] as Model)
    await tick(5)
  }
  const state = (m: Model): string => JSON.stringify([...m.entries()].sort())
  await until(() => nodes.every((m) => state(m) === state(nodes[0] as Model)), 10_000, `convergence (SEED=${seed})`)
  t.pass(`converged on ${(nodes[0] as Model).size} keys (seed ${seed})`)
  for (const l of links) await l.close()
  for (const m of nodes) m.dispose()
})
