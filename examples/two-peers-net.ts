// Two replicas over a real TCP socket on loopback.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { Model } from '../index'

const server = new Model('server')
const client = new Model('client')

const srv = net.createServer((sock) => {
  const stream = server.createStream()
  sock.pipe(stream).pipe(sock)
  stream.on('close', () => sock.destroy())
})

srv.listen(0, '127.0.0.1', () => {
  const { port } = srv.address() as AddressInfo
  const sock = net.connect(port, '127.0.0.1')
  const stream = client.createStream()
  sock.pipe(stream).pipe(sock)

  server.set('motd', 'welcome')
  stream.on('synced', () => {
    console.log('client synced; motd =', client.get('motd'))
    client.on('change:reply', (v: unknown) => console.log('client sees reply =', v))
    server.on('change:reply', (v: unknown) => {
      console.log('server got reply =', v)
      server.dispose()
      client.dispose()
      srv.close()
    })
    client.set('reply', 'thanks')
  })
})
