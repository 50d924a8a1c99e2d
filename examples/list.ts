// A shared playlist edited on two replicas at once: both add songs at the
// top while apart and both move the same song. After reconnecting, every
// song appears once, the two batches are not interleaved, and the
// latest move wins. Run: node dist/examples/list.js
import { List, connect } from '../index'

async function main (): Promise<void> {
  const home = new List({ id: 'home' })
  const phone = new List({ id: 'phone' })
  home.push('intro', 'verse', 'chorus')
  phone.on('move', (from: number, to: number, song: unknown) => console.log(`phone: ${String(song)} moved ${from} -> ${to}`))

  let link = connect(home, phone)
  await until(() => phone.length === 3)
  link()
  await link.closed

  // Offline on both sides.
  home.insert(0, 'home-1')
  home.insert(1, 'home-2')
  phone.insert(0, 'phone-1')
  phone.insert(1, 'phone-2')
  home.move(home.toArray().indexOf('chorus'), 0)
  phone.move(phone.toArray().indexOf('chorus'), 2)

  link = connect(home, phone)
  await until(() => link.a.synced && link.b.synced && JSON.stringify(home.toArray()) === JSON.stringify(phone.toArray()))
  console.log('home: ', home.toArray().join(', '))
  console.log('phone:', phone.toArray().join(', '))
  console.log('updates sent on reconnect:', link.a.stats.updatesSent + link.b.stats.updatesSent)
  link()
  home.dispose()
  phone.dispose()
}

async function until (cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 5))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
