// Two editors type into the same spot of a shared document while offline,
// then reconnect over TCP on 127.0.0.1. Each word stays whole, and both
// sides end with the same text. Run: node dist/examples/text.js
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { Text, type TextEdit, type Update } from '../index'

async function main (): Promise<void> {
  const alice = new Text('alice')
  const bob = new Text('bob')
  alice.insert(0, 'Dear team,\n\nThanks!')
  const fromAlice: TextEdit[] = []
  bob.on('change', (edit: TextEdit, update: Update) => { if (update[2] === alice.id) fromAlice.push(edit) })

  // Bob gets the draft, then both go offline.
  await sync(alice, bob)
  // Both type a sentence at the same spot, one key at a time.
  const at = 'Dear team,\n\n'.length
  for (const [i, ch] of [...'The demo is ready. '].entries()) alice.insert(at + i, ch)
  for (const [i, ch] of [...'Ship it on Friday. '].entries()) bob.insert(at + i, ch)
  bob.delete(bob.length - 'Thanks!'.length, 'Thanks!'.length)
  bob.insert(bob.length, 'Cheers!')

  await sync(alice, bob)
  console.log(`bob received ${fromAlice.length} edits from alice, the last:`, JSON.stringify(fromAlice[fromAlice.length - 1]))
  console.log('alice:\n' + alice.toString())
  console.log('same on both sides:', alice.toString() === bob.toString())
  console.log('tombstones kept:', alice.tombstones)
  alice.dispose()
  bob.dispose()
}

/** Connect two replicas over loopback TCP until both are synced, then hang up. */
async function sync (a: Text, b: Text): Promise<void> {
  const server = net.createServer((sock) => {
    const s = a.createStream({ tail: false })
    sock.pipe(s).pipe(sock)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const sock = net.connect((server.address() as AddressInfo).port, '127.0.0.1')
  const s = b.createStream({ tail: false })
  sock.pipe(s).pipe(sock)
  await new Promise<void>((resolve) => s.once('synced', () => resolve()))
  await new Promise<void>((resolve) => sock.once('close', () => resolve()))
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
