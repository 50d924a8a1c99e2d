import test from 'tape'
import { Model } from '../../index'
import { until } from '../helpers/replicas'
import { DIRECTIONS, SbModel, linkSb } from '../helpers/scuttlebutt'

// A scuttlebutt user deletes with set(k, null) or set(k, undefined); both
// reach the wire as [k, null]. Our delete() is [k]. Every delete must look
// deleted on both kinds of peer: toJSON without the key, has() false on ours.

for (const { weServe, label } of DIRECTIONS) {
  test(`deletes look the same on a grapevine and a scuttlebutt@5 peer over TCP (${label})`, async (t) => {
    const ours = new Model('gv')
    const theirs = new SbModel('sb')
    // Before connecting: deletes travel in history.
    theirs.set('sb-null-early', 1).set('sb-null-early', null)
    theirs.set('sb-undef-early', 1).set('sb-undef-early', undefined)
    ours.set('gv-null-early', 1).set('gv-null-early', null)
    ours.set('gv-del-early', 1).delete('gv-del-early')
    // Set on one side, deleted on the other once connected.
    ours.set('sb-deletes', 'x')
    theirs.set('gv-deletes', 'y')
    theirs.set('gv-deletes-null', 'z')
    const close = await linkSb(ours, theirs, weServe)
    await until(() => ours.has('gv-deletes') && theirs.get('sb-deletes') === 'x', 5000, 'history exchange')
    theirs.set('sb-deletes', null)
    ours.delete('gv-deletes')
    ours.set('gv-deletes-null', null)
    theirs.set('done-sb', true)
    ours.set('done-gv', true)
    await until(() => ours.has('done-sb') && theirs.get('done-gv') === true, 5000, 'live deletes')
    t.deepEqual(ours.toJSON(), { 'done-sb': true, 'done-gv': true }, 'grapevine shows no deleted key')
    t.deepEqual(theirs.toJSON(), ours.toJSON(), 'scuttlebutt shows the same keys')
    const deleted = ['sb-null-early', 'sb-undef-early', 'gv-null-early', 'gv-del-early', 'sb-deletes', 'gv-deletes', 'gv-deletes-null']
    for (const k of deleted) {
      t.equal(ours.has(k), false, `${k}: has() false on grapevine`)
      t.ok(ours.get(k) == null && theirs.get(k) == null, `${k}: get() is nullish on both`)
    }
    t.equal(ours.size, 2)
    await close()
    ours.dispose()
    theirs.dispose()
  })

  test(`grapevine peers relayed through a scuttlebutt@5 peer agree on deletes (${label})`, async (t) => {
    const left = new Model('left')
    const right = new Model('right')
    const relay = new SbModel('relay')
    const closeLeft = await linkSb(left, relay, weServe)
    const closeRight = await linkSb(right, relay, !weServe)
    left.set('a', 1).set('b', 2).set('c', 3)
    relay.set('d', 4)
    await until(() => right.size === 4 && left.size === 4, 5000, 'initial state everywhere')
    left.set('a', null)
    right.delete('b')
    relay.set('c', null)
    right.set('d', null).set('e', 5)
    await until(() => left.has('e') && relay.get('e') === 5, 5000, 'deletes relayed')
    t.deepEqual(left.toJSON(), { e: 5 })
    t.deepEqual(right.toJSON(), left.toJSON(), 'both grapevine peers agree')
    t.deepEqual(relay.toJSON(), left.toJSON(), 'the scuttlebutt relay agrees')
    await closeLeft()
    await closeRight()
    left.dispose()
    right.dispose()
    relay.dispose()
  })
}
