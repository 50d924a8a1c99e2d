import type { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import type { ClockJSON, Update } from '../wire/types'

/** What a store hands back on load. */
export interface Loaded {
  /** Stored updates, each once; per source in timestamp order (the log: append order; LevelDB: `(ts, source)`). */
  readonly updates: Update[]
  /** Clock saved by the last compaction: sources whose updates were all superseded still count as seen. */
  readonly clock: ClockJSON
  /** Highest own timestamp reserved with `reserve()` (0 if none): issue past it. */
  readonly reserved: number
}

/** Size facts a store keeps, to decide when to compact. */
export interface StorageStats {
  /** Records in the store (snapshot plus appended since). LevelDB counts them at load(), then keeps count. */
  records: number
  /** Bytes on disk, where known (the log); 0 otherwise. */
  bytes: number
  /** Bytes cut off a damaged tail when the store was opened. */
  truncatedBytes: number
}

/**
 * The storage contract every adapter meets (see docs/persistence.md).
 * Appends from one replica arrive in acceptance order; a store must keep
 * them so that after any crash it holds, per source, a prefix of what was
 * appended (a vector clock cannot describe a hole).
 */
export interface Storage {
  /** Read everything, or only updates newer than `since`. */
  load (since?: VectorClock): Promise<Loaded>
  /**
   * Append accepted updates. `syncAppend` stores say the bytes reached the
   * OS before this returns; the promise resolves once the updates are as
   * durable as the store's policy promises (rejects with a coded error).
   */
  append (updates: readonly Update[]): Promise<void>
  /** Replace the whole content by `snapshot` (plus the `clock` it covers), atomically. */
  compact (snapshot: Iterable<Update>, clock: ClockJSON): Promise<void>
  /** Resolve once every append issued so far is durable. */
  flush (): Promise<void>
  /** Flush and release the store (and its lock). Idempotent. */
  close (): Promise<void>
  /**
   * Synchronously record that this replica may have issued timestamps up to
   * `ts`, so a restarted replica never reuses one a peer has seen. Present on
   * stores whose `append` is asynchronous; `persist()` calls it before an
   * own update can reach a stream.
   */
  reserve?: (ts: number) => void
  /** True when `append` writes to the OS before it returns. */
  readonly syncAppend: boolean
  /** Live size facts. */
  readonly stats: StorageStats
}

/** Map a Node system error to a coded storage error. */
export function storageError (err: unknown, what: string): GrapevineError {
  if (err instanceof GrapevineError) return err
  const code = errnoOf(err)
  const msg = err instanceof Error ? err.message : String(err)
  if (code === 'ENOSPC' || code === 'EDQUOT' || /no space left/i.test(msg)) {
    return new GrapevineError('ERR_DISK_FULL', `${what}: disk full`, { cause: code ?? 'ENOSPC' })
  }
  return new GrapevineError('ERR_STORE_IO', `${what}: ${msg}`, { cause: code ?? 'unknown' })
}

/** The `code` of a Node system error, if any. */
export function errnoOf (err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const c = (err as { code: unknown }).code
    if (typeof c === 'string') return c
  }
  return undefined
}
