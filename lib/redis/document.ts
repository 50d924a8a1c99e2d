import { VectorClock } from '../clock/vector-clock'
import type { GrapevineError } from '../errors/grapevine-error'
import type { Replica } from '../replica/replica'
import type { SourceId, Update } from '../wire/types'
import { type DocKeys, LOG_START, type LogEntry, type Snapshot, encodeSnapshotBody } from './entries'

/** The origin of updates read from Redis: every client stream gets them. */
export const FROM_REDIS = Symbol('redis')

/** What applying entries read from the log found. */
export interface ApplyResult {
  /** Entries applied (the cursor moved past them). */
  readonly entries: number
  /** Updates among them the replica took (the rest were old or refused). */
  readonly applied: number
  /** Entries are missing before the next one (trimmed before we read them): load the snapshot. */
  readonly gap: boolean
  /** Redis numbered a batch at or below one already read: it lost data (a crash without fsync). */
  readonly lost: boolean
  /** Damaged entries skipped, stored updates refused by the data type. */
  readonly errors: GrapevineError[]
}

/** A snapshot ready to store: where it ends in the log, and its body as JSON. */
export interface SnapshotToStore {
  readonly at: { readonly id: string, readonly seq: number, readonly total: number }
  readonly clock: string
  readonly updates: string
  readonly count: number
}

/**
 * One document as a relay holds it: the replica and where it stands in the
 * log. Pure (no I/O): the relay feeds it entries and snapshots read from
 * Redis. Entries are applied strictly in log order, and batch numbers must
 * follow each other: a jump means entries were trimmed before this relay
 * read them, and it must load the snapshot that replaced them instead of
 * skipping them.
 */
export class RedisDocument {
  /** The last log entry read. */
  cursor = LOG_START
  /** Its batch number (0: none yet). */
  seq = 0
  /** Updates appended to the document up to the cursor. */
  total = 0
  /** Where the newest snapshot this relay knows of stands. */
  snapSeq = 0
  snapTotal = 0
  /** Updates in that snapshot (the live size of the document). */
  snapCount = 0
  /** Counters, for stats and tests. */
  readonly counts = { entries: 0, updates: 0, snapshots: 0, snapshotUpdates: 0, gaps: 0, lost: 0 }
  /** A gap seen right after loading a snapshot that did not close it: accept it the next time. */
  private stuckAt: number | undefined

  constructor (readonly name: string, readonly keys: DocKeys, readonly replica: Replica) {}

  /** Apply entries read after the cursor, in order, up to the first gap. */
  apply (entries: ReadonlyArray<LogEntry | GrapevineError>): ApplyResult {
    let n = 0
    let applied = 0
    let lost = false
    const errors: GrapevineError[] = []
    for (const e of entries) {
      if (!('seq' in e)) {
        // Damaged: step past it if it says where it is; its number is unknown, so trust the next one's.
        errors.push(e)
        const id = e.details.id
        if (typeof id === 'string') { this.cursor = id; this.seq = -1 }
        continue
      }
      if (this.seq >= 0 && e.seq > this.seq + 1) {
        if (this.stuckAt !== e.seq) {
          this.counts.gaps++
          this.stuckAt = e.seq
          return { entries: n, applied, gap: true, lost, errors }
        }
        // The snapshot did not cover the gap either: those batches are gone from Redis.
        lost = true
      } else if (this.seq >= 0 && e.seq <= this.seq) {
        lost = true
      }
      this.stuckAt = undefined
      for (const u of e.updates) {
        const r = this.replica.receive(u, FROM_REDIS)
        if (r.status === 'applied') applied++
        else if (r.status === 'rejected') errors.push(r.error)
      }
      this.cursor = e.id
      this.seq = e.seq
      this.total = e.total
      this.counts.entries++
      this.counts.updates += e.updates.length
      n++
    }
    if (lost) this.counts.lost++
    return { entries: n, applied, gap: false, lost, errors }
  }

  /** Merge a snapshot; move the cursor to its end if that is ahead of ours. */
  applySnapshot (s: Snapshot): void {
    for (const u of s.updates) this.replica.receive(u, FROM_REDIS)
    // Sources whose updates were all superseded before the snapshot still count as seen.
    for (const [source, ts] of Object.entries(s.clock)) this.replica.clock.advance(source as SourceId, ts as Update[1])
    if (s.seq > this.seq) {
      this.cursor = s.id
      this.seq = s.seq
      this.total = Math.max(this.total, s.total)
    }
    if (s.seq >= this.snapSeq) {
      this.snapSeq = s.seq
      this.snapTotal = s.total
      this.snapCount = s.updates.length
    }
    this.counts.snapshots++
    this.counts.snapshotUpdates += s.updates.length
  }

  /** Updates in the log after the newest snapshot known. */
  get tail (): number {
    return Math.max(0, this.total - this.snapTotal)
  }

  /** True when the tail outgrew `max(min, ratio * live size)`. */
  compactionDue (min: number, ratio: number): boolean {
    return this.seq > this.snapSeq && this.cursor !== LOG_START && this.tail > Math.max(min, ratio * this.snapCount)
  }

  /** Someone else's snapshot stands at `seq`/`total`: count the tail from there. */
  noteSnapshot (seq: number, total: number): void {
    if (seq > this.snapSeq) {
      this.snapSeq = seq
      this.snapTotal = total
    }
  }

  /**
   * The replica's whole history now, ending at the cursor. Taken in one
   * turn, so it holds every update of every entry up to the cursor (and
   * maybe some stored after it by this relay, which readers then skip as
   * old).
   */
  snapshot (): SnapshotToStore {
    const body = encodeSnapshotBody(this.replica.getClock(), this.replica.history(new VectorClock()))
    return { at: { id: this.cursor, seq: this.seq, total: this.total }, clock: body.clock, updates: body.updates, count: body.count }
  }

  /** A compaction of ours was stored. */
  compacted (s: SnapshotToStore): void {
    this.snapSeq = s.at.seq
    this.snapTotal = s.at.total
    this.snapCount = s.count
  }
}
