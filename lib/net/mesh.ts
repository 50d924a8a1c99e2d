import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { Header } from '../wire/types'
import { normalizeAddress } from './address'
import { Dialer } from './dialer'
import { type Link, link } from './link'
import { memoryBudgetOf, streamOptions, transportOptions } from './serve'
import type { MemoryBudget } from '../limits/memory-budget'
import { type Listener, listenOn, openSocket } from './transports'
import { MAX_GOSSIP, type MeshMeta, isMeshMeta } from './mesh-meta'
import { AddressBook } from './address-book'
import { DialPacer } from './dial-pacer'
import { realTimers } from './backoff'

/** Tag of the gossip side lines (`"gv-mesh <addr> <addr>..."`). */
const GOSSIP_TAG = 'gv-mesh'

import type { MeshOptions, MeshReplica, PeerInfo } from './mesh-options'
export type { MeshOptions, MeshReplica, PeerInfo } from './mesh-options'

interface Entry {
  readonly link: Link
  readonly initiator: 'us' | 'them'
  readonly dialAddr: string | undefined
  peerId: string | undefined
  address: string | undefined
  duplicate: boolean
}

/**
 * A self-healing peer mesh for one replica: it listens, dials its seeds,
 * learns more addresses by gossip and dials them, redials with backoff,
 * and keeps exactly one link per pair of peers.
 *
 * Membership travels in the stream header's `meta`
 * (`{ mesh: 1, addr, peers }`): each new link tells the other side our
 * advertised address and the addresses of our live peers. Addresses
 * learned later travel as side lines (JSON strings `"gv-mesh <addr>..."`,
 * ignored by protocol-v1 peers that do not read them). When two peers
 * dial each other at once, both keep the link opened by the smaller id and
 * close the other, so they agree without a round trip.
 *
 * Gossiped addresses are peer input: an `AddressBook` bounds them (per
 * announcing peer and all together, never displacing seeds or verified
 * addresses), a dial counts as a success only once the peer's header
 * arrived, and one `DialPacer` caps the mesh's dials per second.
 *
 * Events: 'peer-join' (info), 'peer-leave' (info), 'address' (addr) when
 * an address is admitted, 'forget' (addr) when one is dropped; 'error' is
 * never emitted (links fail alone).
 */
export class Mesh<R extends MeshReplica = MeshReplica> extends EventEmitter {
  readonly replica: R
  /** This peer's id (the replica's id). */
  readonly id: string
  /** The budget of bytes held for peers, shared by every link, dialed or accepted (`maxHeldBytes`). */
  readonly memory: MemoryBudget
  private readonly opts: MeshOptions
  private readonly linked = new Map<string, Entry>()
  private readonly entries = new Set<Entry>()
  private readonly dialers = new Map<string, Dialer<Link>>()
  private readonly addrPeer = new Map<string, string>()
  private readonly seeds = new Set<string>()
  private readonly self = new Set<string>()
  private readonly servers: Listener[] = []
  private readonly book: AddressBook
  private readonly pacer: DialPacer
  private advertised: string | undefined
  private closedFlag = false

  constructor (replica: R, opts: MeshOptions = {}) {
    super()
    this.replica = replica
    this.id = replica.id
    this.opts = opts
    this.book = new AddressBook({
      maxKnown: opts.maxKnown,
      maxUnverified: opts.maxUnverified,
      perPeer: opts.maxGossipPerPeer,
      forgetAfter: opts.forgetAfter,
      quarantineMs: opts.forgetForMs
    })
    this.pacer = new DialPacer(opts.maxDialsPerSecond ?? 10, opts.timers ?? realTimers)
    this.memory = memoryBudgetOf(opts)
  }

  /** Create a mesh and start it (listen, then dial the seeds). */
  static async start<R extends MeshReplica> (replica: R, opts: MeshOptions = {}): Promise<Mesh<R>> {
    return await new Mesh<R>(replica, opts).start()
  }

  /** The advertised address, once listening. */
  get address (): string | undefined {
    return this.advertised
  }

  /** Every address this mesh listens on. */
  get addresses (): string[] {
    return this.servers.map((l) => l.address)
  }

  /** Listen and dial the seeds. */
  async start (): Promise<this> {
    const listen = this.opts.listen ?? 'tcp://127.0.0.1:0'
    for (const addr of Array.isArray(listen) ? listen : [listen]) {
      const l = await listenOn(addr, (sock) => { this.attach(sock, 'them', undefined) }, transportOptions(this.opts))
      this.servers.push(l)
      this.self.add(l.address)
    }
    this.advertised = this.opts.advertise !== undefined ? normalizeAddress(this.opts.advertise) : this.servers[0]?.address
    if (this.advertised !== undefined) this.self.add(this.advertised)
    for (const p of this.opts.peers ?? []) this.join(p)
    return this
  }

  /** Dial `address` and keep dialing it (a seed: never forgotten). */
  join (address: string): void {
    const addr = normalizeAddress(address)
    this.seeds.add(addr)
    if (this.closedFlag || this.self.has(addr)) return
    this.book.seed(addr)
    if (!this.dialers.has(addr)) this.dial(addr)
  }

  /** The live peers, one per peer id. */
  peers (): PeerInfo[] {
    return [...this.linked.values()].map((e) => this.info(e))
  }

  /** The live link to peer `id`, if any. */
  linkOf (id: string): Link | undefined {
    return this.linked.get(id)?.link
  }

  /** How the address book stands: addresses known, of them unverified, dials granted and waiting. */
  get addressStats (): { known: number, unverified: number, dials: number, dialsWaiting: number } {
    return { known: this.book.size, unverified: this.book.unverifiedCount, dials: this.pacer.granted, dialsWaiting: this.pacer.waiting }
  }

  /** Addresses known (dialed or waiting to be dialed). */
  known (): string[] {
    return [...this.dialers.keys()]
  }

  /** Stop listening, stop dialing, close every link. */
  async close (): Promise<void> {
    if (this.closedFlag) return
    this.closedFlag = true
    for (const d of this.dialers.values()) d.close()
    this.pacer.close()
    for (const e of this.entries) e.link.close()
    await Promise.all(this.servers.map((l) => l.close()))
    await Promise.all([...this.entries].map((e) => e.link.closed))
  }

  private meta (): MeshMeta {
    const peers: string[] = []
    for (const e of this.linked.values()) if (e.address !== undefined) peers.push(e.address)
    return { mesh: 1, addr: this.advertised ?? null, peers }
  }

  private info (e: Entry): PeerInfo {
    return { id: e.peerId ?? '', address: e.address, initiator: e.initiator, stats: e.link.stream.stats, synced: e.link.stream.synced }
  }

  /** `announcer` (a peer id) told us of `addr`: know it and dial it if the address book admits it. */
  private learn (addr: string, announcer: string): void {
    if (this.closedFlag || this.self.has(addr) || this.dialers.has(addr) || this.opts.gossip === false) return
    const { added, evicted } = this.book.admit(addr, announcer, Date.now())
    for (const ev of evicted) this.drop(ev, true)
    if (added) this.dial(addr)
  }

  /** Keep dialing `addr` (paced, and only counted a success once the peer's header arrived). */
  private dial (addr: string): void {
    const d: Dialer<Link> = new Dialer<Link>(async () => {
      await this.pacer.acquire(this.book.kind(addr) !== 'unverified', () => d.closed || this.closedFlag)
      if (d.closed || this.closedFlag) throw new Error('mesh closed')
      const sock = await openSocket(addr, transportOptions(this.opts))
      const l = this.attach(sock, 'us', addr)
      await handshaken(l)
      return l
    }, { ...this.opts, start: false })
    this.dialers.set(addr, d)
    d.on('fail', () => {
      if (this.dialers.get(addr) === d && this.book.failed(addr, Date.now())) this.drop(addr, true)
    })
    this.emit('address', addr)
    const peer = this.addrPeer.get(addr)
    if (peer !== undefined && this.linked.has(peer)) d.pause()
    else d.start()
  }

  /** Stop dialing `addr` and forget it ('forget' event when `told`). */
  private drop (addr: string, told: boolean): void {
    const d = this.dialers.get(addr)
    if (d === undefined) return
    this.dialers.delete(addr)
    this.addrPeer.delete(addr)
    d.close()
    if (told) this.emit('forget', addr)
  }

  /** Forget our own address (it came back by gossip). */
  private forget (addr: string): void {
    this.book.remove(addr)
    this.drop(addr, false)
  }

  private attach (sock: Duplex, initiator: 'us' | 'them', dialAddr: string | undefined): Link {
    const stream = this.replica.createStream({ ...streamOptions(this.opts), meta: this.meta(), memoryBudget: this.memory })
    let entry: Entry | undefined
    const l = link(stream, sock, { ...this.opts, sideTag: GOSSIP_TAG, onSideLine: (text) => { if (entry !== undefined) this.onGossip(entry, text) } })
    const e: Entry = { link: l, initiator, dialAddr, peerId: undefined, address: undefined, duplicate: false }
    entry = e
    this.entries.add(e)
    if (this.closedFlag) l.close()
    stream.once('header', (h: Header) => this.onHeader(e, h))
    void l.closed.then(() => this.onClosed(e))
    return l
  }

  private onHeader (e: Entry, h: Header): void {
    if (this.closedFlag) return
    const peerId = h.id
    e.peerId = peerId
    if (peerId === this.id) {
      // We dialed ourselves (our own address came back by gossip).
      if (e.dialAddr !== undefined) { this.self.add(e.dialAddr); this.forget(e.dialAddr) }
      e.duplicate = true
      return e.link.close()
    }
    const meta = isMeshMeta(h.meta) ? h.meta : undefined
    if (meta !== undefined && typeof meta.addr === 'string') e.address = safeNormalize(meta.addr)
    if (e.dialAddr !== undefined) {
      this.addrPeer.set(e.dialAddr, peerId)
      this.book.verified(e.dialAddr)
    }
    if (e.address !== undefined) this.addrPeer.set(e.address, peerId)
    const existing = this.linked.get(peerId)
    // Whatever we learned since this link's header was built, it hears now.
    const current = this.meta().peers.filter((a) => a !== e.address)
    if (current.length > 0) e.link.sendSideLine(GOSSIP_TAG, current.join(' '))
    if (existing === undefined) {
      this.linked.set(peerId, e)
      this.pauseDialersOf(peerId, e)
      if (e.address !== undefined) this.broadcast(e.address, e)
      this.emit('peer-join', this.info(e))
    } else {
      const keepNew = this.prefer(e, existing, peerId)
      const loser = keepNew ? existing : e
      if (keepNew) this.linked.set(peerId, e)
      loser.duplicate = true
      loser.link.close()
      this.pauseDialersOf(peerId, keepNew ? e : existing)
    }
    if (e.address !== undefined) this.learn(e.address, peerId)
    if (meta !== undefined) for (const p of meta.peers) { const a = safeNormalize(p); if (a !== undefined) this.learn(a, peerId) }
  }

  /** Tell every other live peer about a new peer's address. */
  private broadcast (addr: string, except: Entry): void {
    for (const x of this.linked.values()) if (x !== except) x.link.sendSideLine(GOSSIP_TAG, addr)
  }

  private onGossip (e: Entry, text: string): void {
    // Gossip counts against the peer that sent it, so it waits for its header.
    if (this.opts.gossip === false || e.peerId === undefined || e.duplicate) return
    for (const p of text.split(' ').slice(0, MAX_GOSSIP)) {
      const a = safeNormalize(p)
      if (a !== undefined) this.learn(a, e.peerId)
    }
  }

  /** True when the new link should replace the existing one (both ends decide alike). */
  private prefer (fresh: Entry, old: Entry, peerId: string): boolean {
    const opener = (x: Entry): string => x.initiator === 'us' ? this.id : peerId
    const want = this.id < peerId ? this.id : peerId
    if (opener(fresh) === opener(old)) return true // a redial: the old one is likely dead
    return opener(fresh) === want
  }

  private pauseDialersOf (peerId: string, keep: Entry): void {
    for (const [addr, d] of this.dialers) {
      if (this.addrPeer.get(addr) === peerId && d.current !== keep.link) d.pause()
    }
  }

  private onClosed (e: Entry): void {
    this.entries.delete(e)
    if (this.closedFlag) return
    const peerId = e.peerId
    if (e.dialAddr !== undefined && peerId !== undefined && this.linked.has(peerId) && this.linked.get(peerId) !== e) {
      this.dialers.get(e.dialAddr)?.pause()
    }
    if (peerId === undefined || this.linked.get(peerId) !== e) return
    this.linked.delete(peerId)
    this.emit('peer-leave', this.info(e))
    for (const [addr, d] of this.dialers) if (this.addrPeer.get(addr) === peerId) d.resume()
  }
}

/** Resolves once the link got the peer's header; rejects if it closed first. */
async function handshaken (l: Link): Promise<void> {
  if (l.stream.peerHeader !== undefined) return
  await new Promise<void>((resolve, reject) => {
    l.stream.once('header', () => resolve())
    void l.closed.then(() => {
      if (l.stream.peerHeader === undefined) reject(l.error ?? new Error('the peer closed before its header'))
    })
  })
}

function safeNormalize (addr: string): string | undefined {
  try {
    return normalizeAddress(addr)
  } catch {
    return undefined
  }
}
