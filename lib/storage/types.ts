import type { VectorClock } from '../clock/vector-clock'
import { GrapevineError } from '../errors/grapevine-error'
import type { ClockJSON, SourceId, Update } from '../wire/types'

/** What a store hands back on load. */
export interface Loaded {
  /** Stored updates, each once; per source in timestamp order (the log: append order; LevelDB: `(ts, source)`). */
  readonly updates: Update[]
  /** Clock saved by the last compaction: sources whose updates were all superseded still count as seen. */
  readonly clock: ClockJSON
  /** Highest own timestamp reserved with `reserve()` (0 if none): issue past it. */
  readonly reserved: number
  /** Set when the store found damage it could not read past silently (see docs/persistence.md). */
  readonly damage?: StoreDamage
}

/** One damaged part of a store file that was skipped. */
export interface DamagedRange {
  /** The file, relative to the store (`log`, `snapshot`, a LevelDB `*.log`). */
  readonly file: string
  /** Byte offsets `[start, end)` of the damage, where the store knows them (the log store does). */
  readonly start?: number
  readonly end?: number
  readonly bytes: number
  /** Records lost in this range, where the store can tell; see `StoreDamage.exact`. */
  readonly records?: number
}

/**
 * A source that has records kept after a damaged range: the records lost
 * there may include some of its, so what the store holds of it may have a
 * hole between `intactTo` and `heldTo` (a vector clock cannot describe one).
 */
export interface AffectedSource {
  readonly source: SourceId
  /** The store holds every update of this source up to here, gap-free (0: none is certain). */
  readonly intactTo: number
  /** Lowest and highest timestamps of this source kept past `intactTo`. */
  readonly heldFrom: number
  readonly heldTo: number
  /** Updates of this source kept past `intactTo`. */
  readonly records: number
}

/** What a store found damaged when it was opened, and what it saved. */
export interface StoreDamage {
  /** Damaged ranges skipped, in file order. */
  readonly ranges: readonly DamagedRange[]
  /** Records lost: exact when `exact`, else a lower bound. */
  readonly recordsLost: number
  readonly exact: boolean
  /** Bytes that could not be read (0 where the store cannot tell). */
  readonly bytesSkipped: number
  /** Records kept that lie after the first damage. */
  readonly recordsKept: number
  /** Sources whose stored updates may have a hole (see `AffectedSource`). */
  readonly affected: readonly AffectedSource[]
  /**
   * LevelDB: per source, records its ledger says had reached the disk and
   * that are not there (`newestStored` below `newestExpected`: its newest were lost).
   */
  readonly missing?: ReadonlyArray<{ readonly source: SourceId, readonly records: number, readonly newestStored: number, readonly newestExpected: number }>
  /** LevelDB: its tables did not read, and its repair rebuilt them from the blocks that still did. */
  readonly repaired?: boolean
}

/** The ERR_STORE_CORRUPT error describing `damage`, its facts in `details`. */
export function corruptError (where: string, damage: StoreDamage): GrapevineError {
  const lost = `${damage.exact ? '' : 'at least '}${damage.recordsLost} record${damage.recordsLost === 1 ? '' : 's'} lost`
  return new GrapevineError('ERR_STORE_CORRUPT', `${where} is damaged: ${lost}, ${damage.recordsKept} kept after the damage`, {
    where,
    ranges: damage.ranges,
    recordsLost: damage.recordsLost,
    exact: damage.exact,
    bytesSkipped: damage.bytesSkipped,
    recordsKept: damage.recordsKept,
    affected: damage.affected,
    ...(damage.missing !== undefined ? { missing: damage.missing } : {}),
    ...(damage.repaired === true ? { repaired: true } : {})
  })
}

/** Size facts a store keeps, to decide when to compact. */
export interface StorageStats {
  /** Records in the store (snapshot plus appended since). LevelDB counts them at load(), then keeps count. */
  records: number
  /** Bytes on disk, where known (the log); 0 otherwise. */
  bytes: number
  /** Bytes of a torn tail cut off when the store was opened (a normal case, not reported). */
  truncatedBytes: number
  /** Records lost to damage found at open (a lower bound when not exact; 0 if none). */
  recordsLost: number
  /** Damaged bytes skipped at open (0 if none, or where the store cannot tell). */
  bytesSkipped: number
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
