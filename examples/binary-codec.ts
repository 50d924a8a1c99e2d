// Two replicas over loopback TCP, once with JSON lines (codecs: []) and once
// as they come (both offer the binary codec, so they switch): same data,
// fewer bytes.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { Model } from '../index'
import type { StreamOptions } from '../index'

async function syncOnce (opts: StreamOptions): Promise<number> {
  const a = new Model('a')
  const b = new Model('b')
  for (let i = 0; i < 10_000; i++) a.set(`user:${i}`, `name-${i}`)
  const srv = net.createServer((sock) => {
    const s = a.createStream(opts)
    sock.pipe(s).pipe(sock)
    s.on('close', () => sock.destroy())
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const sock = net.connect((srv.address() as AddressInfo).port, '127.0.0.1')
  const stream = b.createStream(opts)
  sock.pipe(stream).pipe(sock)
  await new Promise((resolve) => stream.once('synced', resolve))
  const bytes = stream.stats.bytesReceived
  console.log(`${opts.codecs?.length === 0 ? 'JSON lines' : 'gv-bin/1  '}: b has ${b.size} keys, received ${bytes} bytes (${(bytes / b.size).toFixed(1)} per update)`)
  a.dispose()
  b.dispose()
  sock.destroy()
  await new Promise((resolve) => srv.close(resolve))
  return bytes
}

async function main (): Promise<void> {
  const json = await syncOnce({ codecs: [] })
  const bin = await syncOnce({})
  console.log(`binary is ${(100 * bin / json).toFixed(0)}% of JSON`)
}

main().catch((err) => { console.error(err); process.exit(1) })
