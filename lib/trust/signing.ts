import { sign as edSign, verify as edVerify } from 'node:crypto'
import { GrapevineError, invalidArgument } from '../errors/grapevine-error'
import type { SourceId, Update } from '../wire/types'
import { signingBytes } from './canonical'
import { KeyCache, type KeyPair, keyId } from './keys'

/** Options of `createSigner`. */
export interface SignerOptions {
  /** The writer's ed25519 key pair; its public key becomes the replica id. */
  keyPair: KeyPair
  /** The document these updates belong to; signatures are good only there. */
  docId: string
}

/** Who may write: every holder of a key (default), a list of key ids, or a predicate. */
export type WriterPolicy = 'any' | Iterable<string> | ((source: SourceId) => boolean)

/** Options of `createVerifier`. */
export interface VerifierOptions {
  /** The document this replica holds; updates signed for another are rejected. */
  docId: string
  /** Who may write. Default 'any' (every update signed by the key its source names). */
  allow?: WriterPolicy
  /** Public keys kept imported. Default 1024. */
  keyCacheSize?: number
}

/** Options of `trust()`: a signer when a key pair is given, always a verifier. */
export interface TrustOptions extends VerifierOptions {
  /** This replica's key pair. Omit for a replica that only reads and relays. */
  keyPair?: KeyPair
}

/** What `trust()` returns: spread it into a replica's options. */
export interface TrustedOptions {
  id?: SourceId
  sign?: (update: Update) => string
  verify: (update: Update) => boolean | GrapevineError
}

function checkDocId (docId: unknown): asserts docId is string {
  if (typeof docId !== 'string' || docId.length === 0) invalidArgument('docId must be a non-empty string')
}

/**
 * A signer for one writer in one document: `{ id, sign }`. `id` is derived
 * from the public key; `sign(update)` returns the base64url ed25519
 * signature of the update's canonical bytes (see `signingBytes`).
 */
export function createSigner (opts: SignerOptions): { id: SourceId, sign: (update: Update) => string } {
  checkDocId(opts.docId)
  const { privateKey, publicKey } = opts.keyPair
  if (privateKey?.asymmetricKeyType !== 'ed25519') invalidArgument('keyPair must be an ed25519 key pair')
  const id = keyId(publicKey)
  const docId = opts.docId
  return {
    id,
    sign (update: Update): string {
      if (update[2] !== id) invalidArgument(`this signer writes as ${id}, not ${String(update[2])}`)
      // Sign what the peer will parse, not the in-memory object: a Date or an
      // undefined field must hash the same on both ends.
      const change: unknown = update[0] === undefined ? undefined : JSON.parse(JSON.stringify(update[0]))
      return edSign(null, signingBytes(docId, [change, update[1], update[2]]), privateKey).toString('base64url')
    }
  }
}

/**
 * A verifier for one document. Returns true for an update signed by the key
 * its source names, for this document, by a writer the policy allows; an
 * ERR_NOT_ALLOWED error for a writer outside the policy; false (the replica
 * reports ERR_BAD_SIGNATURE) for anything else. Never throws on peer data.
 */
export function createVerifier (opts: VerifierOptions): (update: Update) => boolean | GrapevineError {
  checkDocId(opts.docId)
  const docId = opts.docId
  const allowed = policy(opts.allow ?? 'any')
  const keys = new KeyCache(opts.keyCacheSize ?? 1024)
  return (update: Update): boolean | GrapevineError => {
    const source = update[2]
    // The cheap checks first, so a flood of junk costs no cryptography.
    if (!allowed(source)) return new GrapevineError('ERR_NOT_ALLOWED', 'this writer is not allowed in this document', { source })
    if (update.length !== 4) return false
    const sig = update[3]
    if (typeof sig !== 'string' || sig.length !== 86) return false
    const key = keys.get(source)
    if (key === undefined) return false
    const raw = Buffer.from(sig, 'base64url')
    if (raw.length !== 64 || raw.toString('base64url') !== sig) return false
    try {
      return edVerify(null, signingBytes(docId, update), key, raw)
    } catch {
      // Unserializable change (cannot come from JSON, but receive() is public).
      return false
    }
  }
}

/**
 * Signing and verification for a replica, to spread into its options:
 * `new Model({ ...trust({ keyPair, docId }) })`. With a key pair the
 * replica's id is the key id and its updates are signed; every replica
 * given `trust()` verifies what it receives.
 */
export function trust (opts: TrustOptions): TrustedOptions {
  const verify = createVerifier(opts)
  if (opts.keyPair === undefined) return { verify }
  const signer = createSigner({ keyPair: opts.keyPair, docId: opts.docId })
  return { id: signer.id, sign: signer.sign, verify }
}

function policy (p: WriterPolicy): (source: SourceId) => boolean {
  if (p === 'any') return () => true
  if (typeof p === 'function') return p
  if (typeof p === 'string' || typeof (p as Iterable<string>)[Symbol.iterator] !== 'function') {
    invalidArgument("allow must be 'any', an iterable of key ids, or a function")
  }
  const set = new Set<string>(p)
  return (source) => set.has(source)
}
