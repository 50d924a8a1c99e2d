import test from 'tape'
import { Model } from '../../index'
import { HEADER, attack } from '../helpers/attack'
import { tick } from '../helpers/replicas'

test('a line of many MiB with a newline is refused before it is buffered whole', async (t) => {
  const r = await attack(async (sock) => {
    sock.write('"') // starts like JSON (a string), so only the line limit can stop it
    const chunk = Buffer.alloc(256 * 1024, 0x61)
    for (let i = 0; i < 16 && !sock.destroyed; i++) {
      sock.write(chunk)
      await tick(1)
    }
    if (!sock.destroyed) sock.write('\n')
  }, { expectClose: true })
  t.equal(r.error?.code, 'ERR_LINE_TOO_LONG')
  t.ok(r.closed && r.unchanged && r.othersFine)
})

test('a line of many MiB without a newline is refused too', async (t) => {
  const r = await attack(async (sock) => {
    sock.write(HEADER)
    const chunk = Buffer.alloc(512 * 1024, 0x20)
    for (let i = 0; i < 8 && !sock.destroyed; i++) {
      sock.write(chunk)
      await tick(1)
    }
  }, { expectClose: true })
  t.equal(r.error?.code, 'ERR_LINE_TOO_LONG')
  t.ok(r.closed && r.unchanged && r.othersFine)
})

test('JSON nested 100 000 deep gets ERR_TOO_DEEP', async (t) => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000) + '\n'
  const r = await attack((sock) => { sock.write(HEADER + deep) }, { expectClose: true })
  t.equal(r.error?.code, 'ERR_TOO_DEEP')
  t.ok(r.closed && r.unchanged && r.othersFine)
})

test('a header and an update trickled one byte at a time arrive intact', async (t) => {
  const victim = new Model({ id: 'victim' })
  const bytes = Buffer.from(HEADER + `[["trickle","é✓𝄞"],${Date.now()},"mallory"]\n`)
  const r = await attack(async (sock) => {
    for (const b of bytes) {
      sock.write(Buffer.from([b]))
      await tick(0)
    }
    await tick(20)
  }, { victim })
  t.equal(r.error, undefined, 'no error')
  t.equal(victim.get('trickle'), 'é✓𝄞', 'multi-byte characters split across chunks decoded whole')
  t.equal(r.stream.stats.updatesApplied, 1)
})

test('empty lines and \\r\\n line ends are accepted', async (t) => {
  const victim = new Model({ id: 'victim' })
  const r = await attack((sock) => {
    sock.write('\n\r\n' + HEADER.replace('\n', '\r\n') + '\n   \n' + `[["crlf",1],${Date.now()},"mallory"]\r\n"SYNC"\r\n`)
  }, { victim, settleMs: 100 })
  t.equal(r.error, undefined, 'no error')
  t.equal(victim.get('crlf'), 1)
  t.ok(r.stream.synced, 'synced after the peer\'s SYNC')
})
