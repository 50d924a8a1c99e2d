import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'

// A tiny self-signed X.509 v3 certificate builder on node:crypto (ECDSA
// P-256, SHA-256), for machines without the openssl CLI. DER by hand: only
// the handful of ASN.1 types a certificate needs.

function len (n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv (tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), len(body.length), body])
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c)
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c)
const octets = (b: Buffer): Buffer => tlv(0x04, b)
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'))
const explicit = (n: number, c: Buffer): Buffer => tlv(0xa0 + n, c)

function oid (dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const out: number[] = [40 * (parts[0] as number) + (parts[1] as number)]
  for (const p of parts.slice(2)) {
    const b: number[] = [p & 0x7f]
    for (let x = Math.floor(p / 128); x > 0; x = Math.floor(x / 128)) b.unshift(0x80 | (x & 0x7f))
    out.push(...b)
  }
  return tlv(0x06, Buffer.from(out))
}

function integer (b: Buffer): Buffer {
  // Positive: a leading 0 byte when the top bit is set.
  return tlv(0x02, (b[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b)
}

function utcTime (d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0')
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  return tlv(0x17, Buffer.from(s, 'ascii'))
}

function pem (label: string, der: Buffer): Buffer {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return Buffer.from(`-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`)
}

/** A self-signed certificate for `cn`, valid for localhost and 127.0.0.1 for one day. */
export function buildSelfSignedCert (cn = 'localhost'): { key: Buffer, cert: Buffer } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'))
  const name = seq(set(seq(oid('2.5.4.3'), utf8(cn))))
  const now = Date.now()
  const san = seq(tlv(0x82, Buffer.from('localhost')), tlv(0x87, Buffer.from([127, 0, 0, 1])))
  const basic = seq(tlv(0x01, Buffer.from([0xff])))
  const extensions = explicit(3, seq(
    seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octets(basic)),
    seq(oid('2.5.29.17'), octets(san))
  ))
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(8)),
    ecdsaSha256,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions
  )
  const signature = sign('sha256', tbs, privateKey)
  const cert = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.from([0]), signature))
  return { key: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), cert: pem('CERTIFICATE', cert) }
}
