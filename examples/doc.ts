// A shared to-do list: rows with per-field last-writer-wins, a live query
// of open items in order, and a removal that reaches an offline peer.
import { Doc, connect, type Disconnect, type Row } from '../index'

const synced = (link: Disconnect): Promise<void> =>
  new Promise((resolve) => link.a.once('synced', () => setImmediate(resolve)))

async function main (): Promise<void> {
  const office = new Doc('office')
  const home = new Doc('home')
  const todo = home.createSeq('list', 'todo')
  todo.on('add', (row: Row, i: number) => console.log(`home: + ${String(row.get('text'))} at ${i}`))
  todo.on('remove', (row: Row) => console.log(`home: - ${String(row.get('text'))}`))

  const list = office.createSeq('list', 'todo')
  list.push({ id: 'milk', text: 'buy milk' })
  list.push({ id: 'call', text: 'call the bank' })
  list.unshift({ id: 'keys', text: 'find keys' })

  let link = connect(office, home)
  await synced(link)
  link()

  // Offline: the office removes a row while home edits it; home marks another done.
  office.rm('call')
  home.get('call')?.set('text', 'call the bank at 9')
  home.get('keys')?.set('list', 'done')

  link = connect(office, home)
  await synced(link)
  console.log(`to do at the office: ${list.toArray().map((r) => r.id).join()}; at home: ${todo.toArray().map((r) => r.id).join()}`)
  console.log('home rows:', JSON.stringify(home.toJSON()))
  link()
}

main().catch((err) => { console.error(err); process.exitCode = 1 })
