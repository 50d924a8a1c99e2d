import { GrapevineError } from '../errors/grapevine-error'
import type { DecodedHeader, WireMessage } from '../wire/messages'
import type { Update } from '../wire/types'
import type { RefusedNotice } from '../wire/notice'

/** Roles of one end of a stream (docs/protocol.md section 3.6). */
export interface SessionRoles {
  /** We send history and live updates. */
  readonly readable: boolean
  /** We apply the peer's updates. */
  readonly writable: boolean
}

/** What the stream must do about one incoming message. */
export type SessionStep =
  | { readonly type: 'start', readonly header: DecodedHeader }
  | { readonly type: 'apply', readonly update: Update }
  | { readonly type: 'skip' }
  | { readonly type: 'synced' }
  | { readonly type: 'notice', readonly notice: RefusedNotice }
  | { readonly type: 'fail', readonly error: GrapevineError }

const SKIP: SessionStep = { type: 'skip' }
const SYNCED: SessionStep = { type: 'synced' }

/**
 * The handshake state machine of one stream, free of I/O: exactly one header
 * first, updates only after it, and 'synced' exactly once, when our "SYNC"
 * was sent and the peer's received.
 */
export class Session {
  private gotHeader = false
  private syncSent: boolean
  private syncReceived: boolean
  private syncedOnce = false

  constructor (private readonly roles: SessionRoles) {
    // A side that sends nothing has nothing to announce, and one that
    // applies nothing does not wait for the peer's history.
    this.syncSent = false
    this.syncReceived = !roles.writable
  }

  /** True once the peer's header arrived. */
  get started (): boolean {
    return this.gotHeader
  }

  /** True once 'synced' was reached. */
  get synced (): boolean {
    return this.syncedOnce
  }

  /** Feed one decoded message. */
  receive (msg: WireMessage): SessionStep {
    switch (msg.kind) {
      case 'header':
        if (this.gotHeader) return fail('second header')
        this.gotHeader = true
        return { type: 'start', header: msg }
      case 'update':
        if (!this.gotHeader) return fail('update before header')
        return this.roles.writable ? { type: 'apply', update: msg.update } : SKIP
      case 'sync':
        if (!this.gotHeader) return fail('SYNC before header')
        if (this.syncReceived) return this.roles.writable ? fail('second SYNC') : SKIP
        this.syncReceived = true
        return this.check()
      case 'notice':
        // Advisory: one before the header means nothing yet, so skip it.
        return this.gotHeader ? { type: 'notice', notice: msg.notice } : SKIP
      case 'ignored':
        return SKIP
    }
  }

  /** Our "SYNC" went out. Returns 'synced' if that completes the handshake. */
  sentSync (): SessionStep {
    this.syncSent = true
    return this.check()
  }

  private check (): SessionStep {
    if (this.syncSent && this.syncReceived && !this.syncedOnce) {
      this.syncedOnce = true
      return SYNCED
    }
    return SKIP
  }
}

function fail (message: string): SessionStep {
  return { type: 'fail', error: new GrapevineError('ERR_PROTOCOL', message) }
}
