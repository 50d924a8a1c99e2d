/**
 * Every error grapevine raises carries a stable `code`. Peer and network
 * faults arrive as coded errors on the stream that met them; programmer
 * mistakes throw at the call site with the same class.
 */
export type ErrorCode =
  /** A line is not valid JSON (also: an HTTP request, a TLS hello, a BOM). */
  | 'ERR_INVALID_JSON'
  /** A line is not valid UTF-8. */
  | 'ERR_INVALID_UTF8'
  /** A binary frame (codec gv-bin/1) that does not parse. */
  | 'ERR_INVALID_FRAME'
  /** A line or binary frame, complete or not, is longer than `maxLineBytes`. */
  | 'ERR_LINE_TOO_LONG'
  /** JSON nested deeper than `maxDepth`. */
  | 'ERR_TOO_DEEP'
  /** Missing, second or malformed header; update before header. */
  | 'ERR_PROTOCOL'
  /** An update of the wrong shape, or one the data type refuses. */
  | 'ERR_INVALID_UPDATE'
  /** An update timestamped further in the future than `maxDriftMs`: held until acceptable, or the stream ends so a reconnect resends it. */
  | 'ERR_CLOCK_DRIFT'
  /** A warning: a peer's wall clock (its header's `now`) is off from ours by more than `skewWarnMs`. */
  | 'ERR_CLOCK_SKEW'
  /** A warning: a peer told us it did not apply one of our updates (a 'refused' notice). */
  | 'ERR_PEER_REFUSED'
  /** The first bytes are not a grapevine/scuttlebutt header: likely TLS, HTTP or another protocol on this port. */
  | 'ERR_WRONG_PROTOCOL'
  /** A signature that does not verify (missing, forged, wrong key, tampered, other document). */
  | 'ERR_BAD_SIGNATURE'
  /** A correctly signed update from a writer the document's policy does not allow. */
  | 'ERR_NOT_ALLOWED'
  /** A peer failed the authenticated handshake (wrong secret, not our protocol, same role). */
  | 'ERR_AUTH'
  /** Handshake or idle deadline passed. */
  | 'ERR_TIMEOUT'
  /** A peer kept sending rejected updates past `maxInvalid`. */
  | 'ERR_TOO_MANY_INVALID'
  /** A peer's clock names more sources than `maxSources`. */
  | 'ERR_TOO_MANY_SOURCES'
  /** A bucket peer's handshake names more replicas than `maxNames`. */
  | 'ERR_TOO_MANY_NAMES'
  /**
   * A server's budget of bytes held for peers (`maxHeldBytes`: unfinished
   * lines and frames, all connections
   * together) was spent: the connection holding the most was closed.
   * `details`: `held` (its bytes), `total` (all held before), `budget`.
   */
  | 'ERR_OVERLOADED'
  /** The replica was disposed while the stream was open. */
  | 'ERR_DISPOSED'
  /** The store is open elsewhere (another process, or another handle in this one). */
  | 'ERR_STORE_LOCKED'
  /** The disk is full (ENOSPC, EDQUOT): the write failed, the store is unchanged. */
  | 'ERR_DISK_FULL'
  /** Any other storage I/O failure; `details.cause` holds the system error code. */
  | 'ERR_STORE_IO'
  /** A store file is damaged other than by a torn tail: salvaged and reported (the facts in `details`), or refused at open. */
  | 'ERR_STORE_CORRUPT'
  /** The store was used after `close()`. */
  | 'ERR_STORE_CLOSED'
  /** A relay's shared backend (Redis) is unreachable, refused a command or holds damaged data: writes are refused, not acknowledged. */
  | 'ERR_BACKEND'
  /** A Reducer spec breaks a rule (commutative, idempotent, pure, JSON state); see Reducer.check. */
  | 'ERR_REDUCER_RULE'
  /** A listener of the application threw while a peer's update was applied (the original is `cause`). */
  | 'ERR_LISTENER'
  /** A bad argument passed by the caller (a programmer mistake). */
  | 'ERR_INVALID_ARGUMENT'

/** The one error class of grapevine: an `Error` with a `code`. */
export class GrapevineError extends Error {
  readonly code: ErrorCode
  /** Extra facts about the failure (line number, source id, ...). */
  readonly details: Readonly<Record<string, unknown>>

  constructor (code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'GrapevineError'
    this.code = code
    this.details = details
  }
}

/** True when `err` is a GrapevineError, optionally with the given code. */
export function isGrapevineError (err: unknown, code?: ErrorCode): err is GrapevineError {
  return err instanceof GrapevineError && (code === undefined || err.code === code)
}

/** Throw an ERR_INVALID_ARGUMENT error for a caller's mistake. */
export function invalidArgument (message: string): never {
  throw new GrapevineError('ERR_INVALID_ARGUMENT', message)
}
