import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { invalidArgument } from '../errors/grapevine-error'
import { type SourceId, sourceId } from '../wire/types'

/** An ed25519 key pair (node:crypto key objects). */
export interface KeyPair {
  readonly publicKey: KeyObject
  readonly privateKey: KeyObject
}

/** Length of a key-derived source id: base64url of 32 bytes, unpadded. */
export const KEY_ID_LENGTH = 43

// PKCS#8 DER prefix of an ed25519 private key; the 32-byte seed follows.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const B64URL = /^[A-Za-z0-9_-]{43}$/

/** A fresh random ed25519 key pair. */
export function generateKeyPair (): KeyPair {
  return generateKeyPairSync('ed25519')
}

/** The key pair whose private key is this 32-byte seed (for keys kept on disk). */
export function keyPairFromSeed (seed: Uint8Array): KeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) invalidArgument('seed must be 32 bytes')
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })
  return { privateKey, publicKey: createPublicKey(privateKey) }
}

/** The 32-byte seed of a private key, to store it and rebuild with `keyPairFromSeed`. */
export function seedOf (keyPair: KeyPair): Buffer {
  const jwk = keyPair.privateKey.export({ format: 'jwk' })
  if (jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') invalidArgument('not an ed25519 private key')
  return Buffer.from(jwk.d, 'base64url')
}

/**
 * The source id of a public key: base64url (no padding) of its raw 32
 * bytes, 43 characters. A replica writing under this id must hold the
 * matching private key, so nobody can write under another's id.
 */
export function keyId (publicKey: KeyObject): SourceId {
  if (publicKey.asymmetricKeyType !== 'ed25519') invalidArgument('keys must be ed25519')
  const jwk = publicKey.export({ format: 'jwk' })
  if (typeof jwk.x !== 'string') invalidArgument('not an ed25519 public key')
  return sourceId(jwk.x)
}

/** True when `s` has the form of a key-derived source id (43 base64url characters). */
export function isKeyId (s: string): boolean {
  return s.length === KEY_ID_LENGTH && B64URL.test(s) && Buffer.from(s, 'base64url').toString('base64url') === s
}

/**
 * Turns key ids back into public keys, keeping the last `size` imports,
 * since importing costs about as much as a verification. Returns undefined
 * for a string that is not a valid key id (never throws on peer data).
 */
export class KeyCache {
  private readonly keys = new Map<string, KeyObject>()

  constructor (private readonly size = 1024) {}

  get (id: string): KeyObject | undefined {
    const hit = this.keys.get(id)
    if (hit !== undefined) {
      // Refresh: Map order is insertion order, so the oldest goes first.
      this.keys.delete(id)
      this.keys.set(id, hit)
      return hit
    }
    if (!isKeyId(id)) return undefined
    let key: KeyObject
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' })
    } catch {
      return undefined
    }
    this.keys.set(id, key)
    if (this.keys.size > this.size) {
      const oldest = this.keys.keys().next()
      if (oldest.done !== true) this.keys.delete(oldest.value)
    }
    return key
  }
}
