import test from 'tape'
import { type Block, OrderIndex } from '../../../lib/models/sequence/order-index'
import { Rng, seedFromEnv } from '../../helpers/rng'

class El {
  block: Block<El> | undefined = undefined
  visible = true
  constructor (readonly id: number) {}
}

test('order index agrees with a plain array under random inserts and hides (seeded)', (t) => {
  const seed = seedFromEnv()
  const rng = new Rng(seed)
  const idx = new OrderIndex<El>()
  const model: El[] = []
  for (let step = 0; step < 4000; step++) {
    const e = new El(step)
    e.visible = rng.chance(0.8)
    const roll = rng.next()
    if (roll < 0.05) {
      // a paste: many elements at once, sometimes enough to fill several blocks
      const es = Array.from({ length: rng.int(2, rng.chance(0.3) ? 600 : 20) }, (_, i) => new El(100000 * (step + 1) + i))
      for (const x of es) x.visible = rng.chance(0.8)
      const ref = model.length === 0 || rng.chance(0.2) ? null : rng.pick(model)
      idx.insertManyAfter(ref, es)
      model.splice(ref === null ? 0 : model.indexOf(ref) + 1, 0, ...es)
      continue
    }
    if (model.length === 0 || roll < 0.3) {
      idx.insertAfter(null, e)
      model.unshift(e)
    } else if (roll < 0.65) {
      const ref = rng.pick(model)
      idx.insertAfter(ref, e)
      model.splice(model.indexOf(ref) + 1, 0, e)
    } else {
      const ref = rng.pick(model)
      idx.insertBefore(ref, e)
      model.splice(model.indexOf(ref), 0, e)
    }
    if (rng.chance(0.2)) idx.setVisible(rng.pick(model), rng.chance(0.5))
  }
  const visible = model.filter((e) => e.visible)
  let ok = idx.size === visible.length && idx.count === model.length
  for (let i = 0; ok && i < visible.length; i++) ok = idx.at(i) === visible[i]
  for (let i = 0, before = 0; ok && i < model.length; i++) {
    const e = model[i] as El
    ok = idx.indexOf(e) === before && idx.next(e) === model[i + 1]
    if (e.visible) before++
  }
  t.ok(ok, `at, indexOf and next match the array model (SEED=${seed})`)
  t.deepEqual([...idx.visibleFrom(17)].map((e) => e.id), visible.slice(17).map((e) => e.id), 'visibleFrom walks the visible tail')
  t.deepEqual([...idx.all()].map((e) => e.id), model.map((e) => e.id), 'all() walks the full order')
  t.equal(idx.at(visible.length), undefined, 'past the end is undefined')
  t.end()
})
