/** Per-stream counters, live: read them at any time. */
export interface StreamStats {
  /** Updates written to the peer. */
  updatesSent: number
  /** Updates received from the peer (valid shape, before acceptance). */
  updatesReceived: number
  /** Updates the replica applied. */
  updatesApplied: number
  /** Updates dropped as already seen (old or duplicate). */
  oldDropped: number
  /** Updates rejected with a coded error. */
  rejected: number
  /** Bytes written to the peer. */
  bytesSent: number
  /** Bytes received from the peer. */
  bytesReceived: number
  /** Times the live queue was dropped for a slow peer and rebuilt from history. */
  queueOverflows: number
  /** Times reading from the peer paused for `maxMessagesPerSecond`. */
  throttled: number
  /** Peer updates held right now until our clock allows them (clock drift). */
  held: number
  /** Notices the peer sent us (its refusals of our updates). */
  noticesReceived: number
}

export function emptyStats (): StreamStats {
  return {
    updatesSent: 0,
    updatesReceived: 0,
    updatesApplied: 0,
    oldDropped: 0,
    rejected: 0,
    bytesSent: 0,
    bytesReceived: 0,
    queueOverflows: 0,
    throttled: 0,
    held: 0,
    noticesReceived: 0
  }
}
