/**
 * How many outgoing messages all streams of a process may produce in one
 * turn of the event loop before they wait for the next turn.
 *
 * A stream fills its outgoing side as long as the socket takes bytes, and
 * on loopback the kernel takes a whole catch-up at once. With hundreds of
 * peers catching up together, one turn then encoded hundreds of dumps
 * before the loop polled again, so the listening socket was not accepted
 * from for seconds and newly connected clients hit their 10 s handshake
 * deadline (measured: 1 000 clients of a 10 000-key replica, 24% ERR_TIMEOUT).
 * Sharing one budget per turn keeps every turn short (a few ms), so accepts,
 * headers, heartbeats and timers get their turn, while one busy stream
 * alone still goes at full speed (it yields once per budget's worth).
 *
 * Pure apart from the injected scheduler: `setImmediate` in the shell,
 * which runs right after the loop has polled for I/O.
 */
export class TurnBudget {
  private used = 0
  private resetPlanned = false
  private readonly waiters: Array<() => void> = []
  private head = 0

  constructor (
    /** Messages per turn. */
    readonly perTurn: number,
    private readonly schedule: (fn: () => void) => void
  ) {}

  /** True while this turn's budget lasts. */
  get open (): boolean {
    return this.used < this.perTurn
  }

  /** Streams waiting for the next turn. */
  get waiting (): number {
    return this.waiters.length - this.head
  }

  /** `n` messages were produced this turn. */
  spend (n: number): void {
    this.used += n
    this.plan()
  }

  /** Call `fn` in a later turn, in order of asking, while that turn's budget lasts. */
  defer (fn: () => void): void {
    this.waiters.push(fn)
    this.plan()
  }

  private plan (): void {
    if (this.resetPlanned) return
    this.resetPlanned = true
    this.schedule(this.nextTurn)
  }

  private readonly nextTurn = (): void => {
    this.resetPlanned = false
    this.used = 0
    // Those not served this turn keep their place for the next one.
    while (this.head < this.waiters.length && this.used < this.perTurn) {
      const fn = this.waiters[this.head++] as () => void
      fn()
    }
    if (this.head === this.waiters.length) {
      this.waiters.length = 0
      this.head = 0
    } else if (this.head > 1024) {
      this.waiters.splice(0, this.head)
      this.head = 0
    }
    if (this.head < this.waiters.length) this.plan()
  }
}

/** Messages per turn shared by every stream of the process: about 2-4 ms of encoding. */
export const MESSAGES_PER_TURN = 2048

/** The process-wide budget every grapevine stream draws on. */
export const processTurnBudget = new TurnBudget(MESSAGES_PER_TURN, (fn) => { setImmediate(fn) })
