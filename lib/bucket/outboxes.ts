import type { VectorClock } from '../clock/vector-clock'
import { type HistorySource, Outbox, type OutboxOptions } from '../session/outbox'
import type { Update } from '../wire/types'
import { SYNC } from '../wire/types'
import { tagUpdate } from './messages'

/** Options of a BucketOutbox. */
export interface BucketOutboxOptions {
  /**
   * Live updates queued for a slow peer, all names together, before the
   * queue of the name that crossed the bound is dropped and later rebuilt
   * from history. Default 4096.
   */
  maxQueue?: number | undefined
  /** The same bound in characters of JSON (about bytes). Default 16 MiB. */
  maxQueueBytes?: number | undefined
}

interface Entry {
  box: Outbox
  readonly source: HistorySource
}

/**
 * Decides what a bucket stream sends next (pure, no I/O): one core Outbox
 * per named replica (so each keeps its own view of the peer's clock, its own
 * bounded live queue and its own no-echo rule), a small queue of control
 * messages, and the end-of-handshake marker. Names are served round-robin
 * so one busy replica cannot starve the others. The global `"SYNC"` goes out
 * once every replica started by the handshake has sent its history; a
 * replica started later ends its history with `[name, "SYNC"]`. Live
 * queues are bounded for the stream as a whole, as for one replica stream.
 */
export class BucketOutbox {
  private readonly boxes = new Map<string, Entry>()
  /** Names whose first history is out (a rebuilt outbox must not announce it again). */
  private readonly historySent = new Set<string>()
  /** Names whose outbox may have something to send. */
  private readonly ready = new Set<string>()
  /** Names started by the handshake whose history is not fully out yet. */
  private readonly initial = new Set<string>()
  /** Control messages, built when sent so an announce carries the clock of that moment. */
  private control: Array<{ readonly make: () => unknown, readonly reply: string | undefined }> = []
  private controlHead = 0
  /** Names with a reply announce waiting: a peer cannot grow the queue by repeating itself. */
  private readonly pendingReplies = new Set<string>()
  private handshake = false
  private handshakeLeft = 0
  private globalSyncSent = false
  private readonly boxOptions: OutboxOptions
  private readonly maxQueue: number
  private readonly maxQueueBytes: number
  private liveCount = 0
  private liveBytes = 0
  /** Overflows of outboxes already closed or replaced, and stream-wide sheds. */
  private pastOverflows = 0

  constructor (opts: BucketOutboxOptions = {}) {
    this.maxQueue = opts.maxQueue ?? 4096
    this.maxQueueBytes = opts.maxQueueBytes ?? 16 * 1024 * 1024
    this.boxOptions = { maxQueue: this.maxQueue, maxQueueBytes: this.maxQueueBytes }
  }

  /** Begin tracking `name` (not started until the peer's clock is known). */
  open (name: string, source: HistorySource): void {
    if (!this.boxes.has(name)) this.boxes.set(name, { box: this.box(source), source })
  }

  /** Stop sending anything for `name`. */
  close (name: string): void {
    const e = this.boxes.get(name)
    if (e !== undefined) this.retire(e.box)
    this.boxes.delete(name)
    this.ready.delete(name)
    this.initial.delete(name)
    this.historySent.delete(name)
  }

  /** True when `name` is tracked. */
  has (name: string): boolean {
    return this.boxes.has(name)
  }

  /** True when the outbox of `name` knows the peer's clock. */
  isStarted (name: string): boolean {
    return this.boxes.get(name)?.box.isStarted === true
  }

  /**
   * The peer's header arrived: start every listed name we track; `more`
   * clocks follow as handshake announces (`continueHandshake`). The global
   * "SYNC" follows the histories of all of them. Call once.
   */
  startHandshake (peer: ReadonlyMap<string, VectorClock>, more = 0): void {
    this.handshake = true
    this.handshakeLeft = more
    for (const [name, clock] of peer) this.startInitial(name, clock)
  }

  /** Clocks of the handshake still to come. */
  get handshakePending (): number {
    return this.handshakeLeft
  }

  /**
   * One more clock of the peer's handshake (`name` undefined when we do not
   * hold it). Returns false when no more were due: a protocol error.
   */
  continueHandshake (name: string | undefined, clock: VectorClock): boolean {
    if (this.handshakeLeft <= 0) return false
    this.handshakeLeft--
    if (name !== undefined) this.startInitial(name, clock)
    return true
  }

  private startInitial (name: string, clock: VectorClock): void {
    const box = this.boxes.get(name)?.box
    if (box === undefined || box.isStarted) return
    box.start(clock)
    this.initial.add(name)
    this.ready.add(name)
  }

  /**
   * The peer announced `name` after the handshake: start sending its
   * history since `clock`, unless that name is already being sent (an
   * honest peer drops a name before announcing it again, which closes it
   * here; repeating announces cannot make us rebuild history).
   */
  startLate (name: string, source: HistorySource, clock: VectorClock): void {
    let e = this.boxes.get(name)
    if (e !== undefined && e.box.isStarted) return
    if (e === undefined) {
      e = { box: this.box(source), source }
      this.boxes.set(name, e)
    }
    e.box.start(clock)
    this.ready.add(name)
  }

  /** The peer has this update of `name` (it sent it to us). */
  peerHas (name: string, update: Update): void {
    this.boxes.get(name)?.box.peerHas(update)
  }

  /** A live update of `name` the peer may be missing. */
  offer (name: string, update: Update): void {
    const e = this.boxes.get(name)
    if (e === undefined || !e.box.isStarted) return
    const count = e.box.queued
    const bytes = e.box.queuedBytes
    e.box.offer(update)
    this.liveCount += e.box.queued - count
    this.liveBytes += e.box.queuedBytes - bytes
    if (this.liveCount > this.maxQueue || this.liveBytes > this.maxQueueBytes) this.rebuild(e)
    if (e.box.hasWork) this.ready.add(name)
  }

  /** Queue a control message (announce, drop) to go out before updates. */
  enqueue (make: () => unknown): void {
    this.control.push({ make, reply: undefined })
  }

  /** Queue a reply announce for `name`, unless one is already waiting. Returns whether it was queued. */
  enqueueReply (name: string, make: () => unknown): boolean {
    if (this.pendingReplies.has(name)) return false
    this.pendingReplies.add(name)
    this.control.push({ make, reply: name })
    return true
  }

  /** True when `take` would return something now. */
  get hasWork (): boolean {
    return this.controlHead < this.control.length || this.ready.size > 0 || this.globalSyncDue
  }

  /** Live updates waiting, over all names. */
  get queued (): number {
    return this.liveCount
  }

  /** Characters of JSON (about bytes) of the live updates waiting, over all names. */
  get queuedBytes (): number {
    return this.liveBytes
  }

  /** Names tracked. */
  get size (): number {
    return this.boxes.size
  }

  /**
   * Up to `max` messages to send now, appended to `out`. Returns the number
   * of updates among them; `onGlobalSync` is called when "SYNC" is placed.
   */
  take (max: number, out: unknown[], onGlobalSync: () => void): number {
    let updates = 0
    while (out.length < max && this.controlHead < this.control.length) {
      const c = this.control[this.controlHead++] as { make: () => unknown, reply: string | undefined }
      if (c.reply !== undefined) this.pendingReplies.delete(c.reply)
      out.push(c.make())
    }
    if (this.controlHead === this.control.length) {
      this.control = []
      this.controlHead = 0
    }
    const tmp: Array<Update | 'SYNC'> = []
    while (out.length < max && this.ready.size > 0) {
      const share = Math.max(1, Math.floor((max - out.length) / this.ready.size))
      // One pass over the names ready now; a name that still has work moves
      // to the back, so the next pass (or take) starts with the others.
      let visits = this.ready.size
      for (const name of this.ready) {
        if (visits-- === 0 || out.length >= max) break
        const box = (this.boxes.get(name) as Entry).box
        const count = box.queued
        const bytes = box.queuedBytes
        tmp.length = 0
        box.take(Math.min(share, max - out.length), tmp, noop)
        this.liveCount += box.queued - count
        this.liveBytes += box.queuedBytes - bytes
        for (const m of tmp) {
          if (m === SYNC) {
            if (this.historySent.has(name)) continue
            this.historySent.add(name)
            // The handshake's names share the global "SYNC"; a later one gets its own.
            if (!this.initial.delete(name)) out.push([name, SYNC])
          } else {
            out.push(tagUpdate(name, m))
            updates++
          }
        }
        this.ready.delete(name)
        if (box.hasWork) this.ready.add(name)
      }
    }
    if (this.globalSyncDue && out.length < max) {
      this.globalSyncSent = true
      out.push(SYNC)
      onGlobalSync()
    }
    return updates
  }

  /** Times a live queue was dropped for a slow peer, over all names ever tracked. */
  get overflows (): number {
    let n = this.pastOverflows
    for (const e of this.boxes.values()) n += e.box.overflows
    return n
  }

  private get globalSyncDue (): boolean {
    return this.handshake && this.handshakeLeft === 0 && !this.globalSyncSent && this.initial.size === 0
  }

  private box (source: HistorySource): Outbox {
    return new Outbox(source, this.boxOptions)
  }

  /** Forget a box's live queue in the totals. */
  private retire (box: Outbox): void {
    this.pastOverflows += box.overflows
    this.liveCount -= box.queued
    this.liveBytes -= box.queuedBytes
  }

  /**
   * The stream-wide bound was crossed: drop this name's live queue; what
   * the peer misses is history since its clock, as after a core overflow.
   */
  private rebuild (e: Entry): void {
    const old = e.box
    this.retire(old)
    this.pastOverflows++
    e.box = this.box(e.source)
    e.box.start(old.peerClock.clone())
  }
}

const noop = (): void => {}
