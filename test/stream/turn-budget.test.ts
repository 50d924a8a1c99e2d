import test from 'tape'
import { TurnBudget } from '../../lib/stream/turn-budget'
import { Model } from '../../lib/models/model'
import { waitSynced, until } from '../helpers/replicas'

/** A hand-cranked event loop: `turn()` runs what was scheduled for the next turn. */
function manualLoop (): { schedule: (fn: () => void) => void, turn: () => number, pending: () => number } {
  let queue: Array<() => void> = []
  return {
    schedule: (fn) => { queue.push(fn) },
    turn: () => {
      const run = queue
      queue = []
      for (const fn of run) fn()
      return run.length
    },
    pending: () => queue.length
  }
}

test('the budget closes once a turn spent it and reopens on the next turn', (t) => {
  const loop = manualLoop()
  const b = new TurnBudget(10, loop.schedule)
  t.ok(b.open, 'open at first')
  b.spend(4)
  t.ok(b.open, 'open after 4 of 10')
  b.spend(6)
  t.notOk(b.open, 'closed after 10 of 10')
  t.equal(loop.pending(), 1, 'one reset planned, not one per spend')
  loop.turn()
  t.ok(b.open, 'open again next turn')
  t.equal(loop.pending(), 0, 'nothing planned once no one waits')
  t.end()
})

test('waiters run in the order they asked, only while the next turn lasts, and the rest keep their place', (t) => {
  const loop = manualLoop()
  const b = new TurnBudget(3, loop.schedule)
  b.spend(3)
  const ran: number[] = []
  for (let i = 0; i < 7; i++) b.defer(() => { ran.push(i); b.spend(1) })
  t.equal(b.waiting, 7, 'seven waiting')
  t.deepEqual(ran, [], 'no one runs in the turn that spent the budget')
  loop.turn()
  t.deepEqual(ran, [0, 1, 2], 'the first three run next turn')
  t.equal(b.waiting, 4, 'four still waiting')
  t.notOk(b.open, 'their spending closed the turn again')
  loop.turn()
  t.deepEqual(ran, [0, 1, 2, 3, 4, 5], 'three more, in order')
  loop.turn()
  t.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6], 'the last one')
  t.equal(b.waiting, 0, 'no one left')
  loop.turn()
  t.equal(loop.pending(), 0, 'the loop goes quiet')
  t.end()
})

test('a waiter that spends nothing does not use up the turn, and one that defers again goes to the back', (t) => {
  const loop = manualLoop()
  const b = new TurnBudget(2, loop.schedule)
  b.spend(2)
  const ran: string[] = []
  b.defer(() => { ran.push('idle') })
  b.defer(() => { ran.push('busy'); b.spend(2); b.defer(() => { ran.push('busy again'); b.spend(2) }) })
  b.defer(() => { ran.push('late'); b.spend(1) })
  loop.turn()
  t.deepEqual(ran, ['idle', 'busy'], 'the idle waiter cost nothing; the busy one spent the turn')
  loop.turn()
  t.deepEqual(ran, ['idle', 'busy', 'late', 'busy again'], 'the one that asked first goes first, the re-asker after it')
  t.end()
})

test('thousands of waiters over many turns: each runs exactly once, in order, with bounded work per turn', (t) => {
  const loop = manualLoop()
  const per = 16
  const b = new TurnBudget(per, loop.schedule)
  b.spend(per)
  const ran: number[] = []
  const n = 5000
  for (let i = 0; i < n; i++) b.defer(() => { ran.push(i); b.spend(1) })
  let turns = 0
  let worst = 0
  while (loop.pending() > 0) {
    const before = ran.length
    loop.turn()
    turns++
    worst = Math.max(worst, ran.length - before)
  }
  t.equal(ran.length, n, 'every waiter ran')
  t.ok(ran.every((v, i) => v === i), 'in the order they asked')
  t.equal(worst, per, `never more than ${per} per turn`)
  t.equal(turns, Math.ceil(n / per) + 1, `${turns} turns (one more to notice no one is left)`)
  t.end()
})

/** A budget that also records what each turn spent. */
class RecordingBudget extends TurnBudget {
  readonly perTurnSpent: number[] = [0]
  constructor (perTurn: number) {
    super(perTurn, (fn) => {
      setImmediate(() => { this.perTurnSpent.push(0); fn() })
    })
  }

  override spend (n: number): void {
    this.perTurnSpent[this.perTurnSpent.length - 1] += n
    super.spend(n)
  }
}

test('streams sharing a small budget still converge, and no turn sends much more than the budget', async (t) => {
  const per = 32
  const batchSize = 8
  const budget = new RecordingBudget(per)
  const a = new Model('a')
  for (let i = 0; i < 500; i++) a.set(`k${i}`, i)
  const peers = [new Model('b'), new Model('c'), new Model('d')]
  const pairs = peers.map((p) => {
    const sa = a.createStream({ turnBudget: budget, batchSize })
    const sp = p.createStream({ turnBudget: budget, batchSize })
    sa.pipe(sp).pipe(sa)
    return { sa, sp }
  })
  await Promise.all(pairs.map(async ({ sp }) => await waitSynced(sp)))
  for (const p of peers) await until(() => p.keys().length === 500, 5000, `${p.id} has every key`)
  t.ok(peers.every((p) => p.get('k499') === 499), 'every peer holds the last key')
  const spent = budget.perTurnSpent
  const total = spent.reduce((x, y) => x + y, 0)
  const worst = Math.max(...spent)
  t.ok(total >= 3 * 500, `${total} messages counted`)
  // The first batch of each stream (its header) does not wait; past it a
  // stream only starts a batch while the turn's budget is open.
  const bound = per + 6 * batchSize
  t.ok(worst <= bound, `the busiest turn sent ${worst} messages (budget ${per}, bound ${bound})`)
  t.ok(spent.length >= total / bound, `the catch-ups were spread over ${spent.length} turns`)
  for (const { sa, sp } of pairs) { sa.destroy(); sp.destroy() }
  a.dispose()
  for (const p of peers) p.dispose()
})
