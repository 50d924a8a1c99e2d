// An observed-remove set: a tag removed on one device while another
// re-adds it concurrently stays (add wins); a removal made while a peer
// was offline reaches it on reconnect.
import { ORSet, connect, type Disconnect } from '../index'

const synced = (link: Disconnect): Promise<void> =>
  new Promise((resolve) => link.a.once('synced', () => setImmediate(resolve)))

async function main (): Promise<void> {
  const a = new ORSet('alice')
  const b = new ORSet('bob')
  a.add('urgent').add('later').add({ label: 'team', color: 'blue' })
  let link = connect(a, b)
  await synced(link)
  link()

  // Offline: alice removes two tags, bob re-adds one of them.
  a.delete('urgent')
  a.delete({ color: 'blue', label: 'team' }) // same element: identity is canonical JSON
  b.add('urgent')

  link = connect(a, b)
  await synced(link)
  console.log('alice:', JSON.stringify(a.values()))
  console.log('bob:  ', JSON.stringify(b.values()))
  console.log(`tombstones kept: ${a.tombstones}`)
  link()
}

main().catch((err) => { console.error(err); process.exitCode = 1 })
