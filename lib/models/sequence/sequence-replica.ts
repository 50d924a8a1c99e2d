import type { VectorClock } from '../../clock/vector-clock'
import { Replica, type ReplicaOptions } from '../../replica/replica'
import { compareUpdates } from '../../replica/compare'
import type { SourceId, Timestamp, Update } from '../../wire/types'
import { type ChangeKinds, type ElementRef, type ElementRun, type SequenceChange, parseChange } from './changes'
import { FugueTree, type SeqNode, type Side, attachChain } from './fugue-tree'
import { type OpRecord, SourceLog } from './source-log'

/**
 * The shared core of `List` and `Text`: a Fugue tree of elements plus the
 * log of accepted updates. Every update is kept in the log, so `history`
 * can answer any clock. An update whose dependency (the element it hangs
 * on, deletes, or moves) has not arrived yet, which happens when updates
 * from different sources reach us by different paths, is accepted (the
 * clock moves, it is in `history`) and held until that dependency is
 * applied; then it is applied at once. Element order never depends on
 * arrival order, so replicas that accepted the same updates agree.
 */
export abstract class SequenceReplica<V, C> extends Replica {
  protected readonly tree: FugueTree<V>
  /**
   * Per source, its accepted updates in timestamp order (the base class
   * accepts them in that order): the log `history` serves, and, by binary
   * search, how element ids are resolved. Cheaper than a map per update.
   */
  private readonly ops = new Map<string, SourceLog<V>>()
  /** Key of a missing update -> the updates waiting for it. */
  private readonly waiting = new Map<string, Array<OpRecord<V>>>()
  private held = 0
  private total = 0

  constructor (opts: ReplicaOptions | string, rootValue: V) {
    super(opts)
    this.tree = new FugueTree<V>(rootValue)
  }

  /** True for content an insert may carry. */
  protected abstract isContent (x: unknown): x is C
  /** Number of elements `content` creates. */
  protected abstract contentLength (content: C): number
  /** The content of an insert, rebuilt from its elements (inverse of `integrateInsert`). */
  protected abstract contentOf (nodes: ReadonlyArray<SeqNode<V>>): C
  /** Whether `'m'` (move) and `'s'` (replace) changes are valid for this type. */
  protected abstract readonly kinds: ChangeKinds
  /** Create and attach the elements of an insert; emit events. */
  protected abstract integrateInsert (update: Update, parent: SeqNode<V>, side: Side, content: C): Array<SeqNode<V>>
  /** Remove the given elements (List: items); emit events. */
  protected abstract integrateDelete (update: Update, targets: Array<SeqNode<V>>): void

  /** Create the new position of a moved item (List only). */
  protected integrateMove (update: Update, _item: SeqNode<V>, _parent: SeqNode<V>, _side: Side): SeqNode<V> {
    throw new Error(`${this.constructor.name} cannot move (update ${update[1]})`)
  }

  /** Give an item a new value (List only). */
  protected integrateSet (update: Update, _item: SeqNode<V>, _value: unknown): void {
    throw new Error(`${this.constructor.name} cannot replace (update ${update[1]})`)
  }

  /** Queue an event; it fires once the update is committed (Replica.afterCommit). */
  protected report (name: string, ...args: unknown[]): void {
    this.afterCommit(() => this.emit(name, ...args))
  }

  /** Accepted updates held until an update they depend on arrives. */
  get pending (): number {
    return this.held
  }

  /** Updates kept in the log (all accepted updates; `history` is served from it). */
  get logSize (): number {
    return this.total
  }

  /** Elements kept but not visible: deleted ones, and old positions of moved ones. */
  get tombstones (): number {
    return this.tree.index.count - this.tree.index.size
  }

  /** The wire id of an element (null for the start of the document). */
  protected refOf (n: SeqNode<V>): ElementRef | null {
    return n === this.tree.root ? null : [n.ts, n.src, n.k]
  }

  /** Create `count` elements of one update, each the right child of the one before. */
  protected chain (parent: SeqNode<V>, side: Side, count: number, make: (k: number, parent: SeqNode<V>, side: Side) => SeqNode<V>): Array<SeqNode<V>> {
    const out = new Array<SeqNode<V>>(count) // exact size: most inserts are one keystroke
    let p = parent
    let s = side
    for (let k = 0; k < count; k++) {
      const n = make(k, p, s)
      out[k] = n
      p = n
      s = 1
    }
    attachChain(this.tree, out)
    return out
  }

  protected applyUpdate (update: Update): boolean {
    const change = parseChange(update[0], this.contentGuard, this.kinds)
    if (change === undefined) return false
    const [, ts, src] = update
    if (this.find(src, ts) !== undefined) return true
    const missing: string[] = []
    switch (change[0]) {
      case 'i': if (!this.check(change[1], 1, true, ts, missing)) return false; break
      case 'm': if (!this.check(change[1], 1, false, ts, missing) || !this.check(change[2], 1, true, ts, missing)) return false; break
      case 's': if (!this.check(change[1], 1, false, ts, missing)) return false; break
      case 'd': for (const run of change[1]) if (!this.check(run, run[3], false, ts, missing)) return false
    }
    const deps = missing.length > 1 ? [...new Set(missing)] : missing
    const rec: OpRecord<V> = {
      update,
      kind: change[0],
      size: change[0] === 'i' ? this.contentLength(change[3]) : change[0] === 'm' ? 1 : 0,
      nodes: undefined,
      applied: false,
      missing: deps.length
    }
    let log = this.ops.get(src)
    if (log === undefined) this.ops.set(src, log = new SourceLog())
    log.push(ts, rec)
    this.total++
    if (deps.length > 0) {
      this.held++
      for (const m of deps) {
        const w = this.waiting.get(m)
        if (w === undefined) this.waiting.set(m, [rec])
        else w.push(rec)
      }
      return true
    }
    this.run(rec)
    return true
  }

  private readonly contentGuard = (x: unknown): x is C => this.isContent(x)

  /**
   * Validate one reference of an update issued at `ts` to `n` elements.
   * False rejects the update; a dependency not applied yet goes to `missing`.
   */
  private check (ref: ElementRef | ElementRun | null, n: number, parentRef: boolean, ts: number, missing: string[]): boolean {
    if (ref === null) return true
    const [rts, rsrc, k] = ref
    // Causality: what an update depends on was issued before it. This also
    // rules out cycles of updates waiting for each other.
    if (rts >= ts) return false
    const rec = this.find(rsrc, rts)
    if (rec === undefined) {
      // Everything from rsrc up to its clock entry has been accepted, so an
      // unknown update below it will never come.
      if (rts <= this.clock.get(rsrc as SourceId)) return false
      missing.push(key(rts, rsrc))
      return true
    }
    const kind = rec.kind
    if (!(kind === 'i' || (parentRef && kind === 'm')) || k + n > rec.size) return false
    if (!rec.applied) missing.push(key(rts, rsrc))
    return true
  }

  /** Apply `first`, then everything that was waiting only for it, transitively. */
  private run (first: OpRecord<V>): void {
    const work = [first]
    for (let rec = work.pop(); rec !== undefined; rec = work.pop()) {
      const u = rec.update as Update
      this.execute(rec, u)
      // Keep signed updates whole: the signature covers the exact change.
      if (rec.kind === 'i' && rec.nodes !== undefined && u.length === 3) rec.update = undefined
      if (this.waiting.size === 0) continue
      const k = key(u[1], u[2])
      const waiters = this.waiting.get(k)
      if (waiters === undefined) continue
      this.waiting.delete(k)
      for (const w of waiters) {
        if (--w.missing === 0) {
          this.held--
          work.push(w)
        }
      }
    }
  }

  private execute (rec: OpRecord<V>, u: Update): void {
    rec.applied = true
    const c = u[0] as SequenceChange<C>
    if (c[0] === 'i') {
      const parent = this.resolve(c[1])
      if (parent !== undefined) rec.nodes = this.integrateInsert(u, parent, c[2], c[3])
    } else if (c[0] === 'm') {
      const item = this.resolve(c[1], true)
      const parent = this.resolve(c[2])
      if (item !== undefined && parent !== undefined) rec.nodes = [this.integrateMove(u, item, parent, c[3])]
    } else if (c[0] === 's') {
      const item = this.resolve(c[1], true)
      if (item !== undefined) this.integrateSet(u, item, c[2])
    } else {
      const targets: Array<SeqNode<V>> = []
      for (const [ts, src, k, n] of c[1]) {
        const target = this.find(src, ts)
        if (target === undefined || target.kind !== 'i' || target.nodes === undefined) continue
        const end = Math.min(k + n, target.nodes.length)
        for (let i = k; i < end; i++) targets.push(target.nodes[i] as SeqNode<V>)
      }
      if (targets.length > 0) this.integrateDelete(u, targets)
    }
  }

  /**
   * The element a ref names, once applied. Validation guaranteed it exists
   * unless it arrived later than the ref with fewer elements or another
   * kind, which only a faulty peer produces: such an update has no effect.
   */
  protected resolve (ref: ElementRef | null, itemOnly = false): SeqNode<V> | undefined {
    if (ref === null) return this.tree.root
    const rec = this.find(ref[1], ref[0])
    if (rec === undefined || (itemOnly && rec.kind !== 'i')) return undefined
    return rec.nodes?.[ref[2]]
  }

  /** The record of the update `(ts, src)`, if accepted. */
  private find (src: string, ts: number): OpRecord<V> | undefined {
    return this.ops.get(src)?.find(ts)
  }

  /** The update of a record, rebuilt from its elements if it was dropped. */
  private updateOf (rec: OpRecord<V>): Update {
    if (rec.update !== undefined) return rec.update
    const nodes = rec.nodes as Array<SeqNode<V>>
    const first = nodes[0] as SeqNode<V>
    const change = ['i', this.refOf(first.parent as SeqNode<V>), first.side, this.contentOf(nodes)]
    return [change, first.ts as Timestamp, first.src as SourceId]
  }

  history (clock: VectorClock): Update[] {
    const out: Update[] = []
    for (const [src, log] of this.ops) {
      for (let i = log.firstAfter(clock.get(src as SourceId)); i < log.length; i++) out.push(this.updateOf(log.recs[i] as OpRecord<V>))
    }
    return out.sort(compareUpdates)
  }
}

function key (ts: number, src: string): string {
  return `${ts} ${src}`
}
