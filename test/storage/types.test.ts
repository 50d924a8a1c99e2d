// Every core data type restarts from a store with the same state, history and clock.
import test from 'tape'
import { Counter, Doc, Events, LevelStorage, List, LogStorage, Model, ORSet, Text, Value, VectorClock, persist } from '../../index'
import type { Replica, Storage } from '../../index'
import { tempDir } from './conformance'

interface Case { name: string, create: (id: string) => Replica, write: (r: Replica, i: number) => void, state?: (r: Replica) => unknown }

const cases: Case[] = [
  { name: 'Model', create: (id) => new Model(id), write: (r, i) => { const m = r as Model; if (i % 7 === 3) m.delete(`k${i % 5}`); else m.set(`k${i % 5}`, i) } },
  { name: 'Value', create: (id) => new Value(id), write: (r, i) => { (r as Value).set({ i }) } },
  { name: 'Events', create: (id) => new Events(id), write: (r, i) => { (r as Events).emit('tick', i) } },
  { name: 'Counter', create: (id) => new Counter(id), write: (r, i) => { if (i % 3 === 0) (r as Counter).decrement(2); else (r as Counter).increment(i) } },
  // A set's order is insertion order: compare sorted.
  { name: 'ORSet', create: (id) => new ORSet(id), write: (r, i) => { const s = r as ORSet; if (i % 4 === 3) s.delete(i % 6); else s.add(i % 6) }, state: (r) => (r as ORSet).values().map((v) => JSON.stringify(v)).sort() },
  { name: 'List', create: (id) => new List({ id }), write: (r, i) => { const l = r as List; if (i % 5 === 4 && l.toArray().length > 0) l.delete(i % l.toArray().length); else l.insert(i % (l.toArray().length + 1), i) } },
  { name: 'Text', create: (id) => new Text(id), write: (r, i) => { const x = r as Text; if (i % 4 === 3 && x.toJSON().length > 1) x.delete(1); else x.insert(i % (x.toJSON().length + 1), String.fromCharCode(97 + (i % 26))) } },
  { name: 'Doc', create: (id) => new Doc(id), write: (r, i) => { const d = r as Doc; if (d.has(`row${i % 3}`)) d.set(`row${i % 3}`, 'n', i); else d.add({ id: `row${i % 3}`, n: i }) } }
]

const stores: Array<[string, (dir: string) => Promise<Storage>]> = [
  ['log', (dir) => LogStorage.open(dir, { fsync: 'never' })],
  ['level', (dir) => LevelStorage.open(dir)]
]

/** History, clock and state (the data type's toJSON unless the case says otherwise). */
function snapshot (c: Case, r: Replica): unknown {
  const state = c.state !== undefined ? c.state(r) : (r as unknown as { toJSON?: () => unknown }).toJSON?.() ?? null
  return JSON.parse(JSON.stringify({ history: [...r.history(new VectorClock())], clock: r.getClock(), state }))
}

for (const [store, open] of stores) {
  test(`${store}: every core data type restarts with the same state, history and clock, across a compaction`, async (t) => {
    for (const c of cases) {
      const { dir, rm } = tempDir()
      const r = c.create('me')
      const p = await persist(r, await open(dir), { compactRatio: false })
      for (let i = 0; i < 30; i++) c.write(r, i)
      await p.compact()
      for (let i = 30; i < 45; i++) c.write(r, i)
      await p.close()
      const back = c.create('me')
      const p2 = await persist(back, await open(dir))
      t.deepEqual(snapshot(c, back), snapshot(c, r), `${c.name}: same after restart`)
      c.write(back, 100)
      t.ok((back.getClock().me as number) > (r.getClock().me as number), `${c.name}: writes go on past the stored clock`)
      await p2.close()
      rm()
    }
  })
}
