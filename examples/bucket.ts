// Many named replicas over one TCP socket: a Bucket.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { Bucket, Events, Model, Value } from '../index'

// The server holds a settings Model, a title Value and a chat log.
const server = new Bucket('server')
  .add('settings', new Model('server-settings'))
  .add('title', new Value('server-title'))
  .add('chat', new Events('server-chat'))
server.get<Model>('settings')?.set('theme', 'dark')
server.get<Value>('title')?.set('Weekly sync')

// The client holds the same names (its own replicas), plus a draft the server does not know yet.
const client = new Bucket('client')
  .add('settings', new Model('client-settings'))
  .add('title', new Value('client-title'))
  .add('chat', new Events('client-chat'))
  .add('notes', new Model('client-notes'))
client.get<Model>('notes')?.set('agenda', ['budget', 'hiring'])

const srv = net.createServer((sock) => {
  const stream = server.createStream()
  sock.pipe(stream).pipe(sock)
  stream.on('unknown', (name: string) => console.log(`server: ignoring "${name}" (not held here)`))
  stream.on('close', () => sock.destroy())
})

srv.listen(0, '127.0.0.1', () => {
  const { port } = (srv.address() as AddressInfo)
  const sock = net.connect(port, '127.0.0.1')
  const stream = client.createStream()
  sock.pipe(stream).pipe(sock)

  stream.once('synced', () => {
    console.log('client synced:', client.get<Model>('settings')?.toJSON(), '/', client.get<Value>('title')?.get())
    console.log(`client sent ${stream.stats.updatesSent} updates, received ${stream.stats.updatesApplied}`)

    // A replica added while connected is announced and exchanged at once.
    const notes = new Model('server-notes')
    notes.on('change', (key: string, value: unknown) => {
      console.log(`server notes: ${key} =`, value)
      server.get<Events>('chat')?.emit('message', 'server', 'got the agenda')
    })
    server.add('notes', notes)
  })

  client.get<Events>('chat')?.on('message', (from: unknown, text: unknown) => {
    console.log(`client chat: ${String(from)} says "${String(text)}"`)
    server.dispose()
    client.dispose()
    srv.close()
  })
})
