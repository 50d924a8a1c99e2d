import { type Block, OrderIndex } from './order-index'

/** Which side of its parent a node hangs on: 0 left (before it), 1 right (after it). */
export type Side = 0 | 1

/**
 * One element of a sequence: created by the update `(ts, src)` as its k-th
 * element, hanging on one side of its parent. Deleted and superseded
 * elements stay (hidden) because later inserts may hang on them.
 */
export class SeqNode<V> {
  block: Block<SeqNode<V>> | undefined = undefined
  visible = false
  /** Children before this node, in id order (created on first use). */
  lefts: Array<SeqNode<V>> | undefined = undefined
  /** Children after this node, in id order. */
  rights: Array<SeqNode<V>> | undefined = undefined

  constructor (
    readonly ts: number,
    readonly src: string,
    readonly k: number,
    readonly parent: SeqNode<V> | null,
    readonly side: Side,
    public value: V
  ) {}
}

/** Total order of sibling ids: `(ts, src, k)` ascending. */
export function compareNodes<V> (a: SeqNode<V>, b: SeqNode<V>): number {
  return a.ts - b.ts || (a.src < b.src ? -1 : a.src > b.src ? 1 : a.k - b.k)
}

/**
 * The Fugue tree (Weidner and Kleppmann, "The Art of the Fugue", 2023):
 * every element is a left or right child of another; the document is the
 * in-order walk (left children, the node, right children; siblings in id
 * order). An insert between `a` and `b` becomes a right child of `a` when
 * `a` has none yet, else a left child of `b`. Text typed concurrently at the
 * same place forms separate subtrees, so it never interleaves, whether
 * typed forwards or backwards. The in-order walk is kept materialised in an
 * `OrderIndex`, so lookups do not walk the tree.
 */
export class FugueTree<V> {
  /** Virtual start of the document; every element descends from it on the right. */
  readonly root: SeqNode<V>
  readonly index = new OrderIndex<SeqNode<V>>()

  constructor (rootValue: V) {
    this.root = new SeqNode<V>(0, '', 0, null, 1, rootValue)
  }

  /** Number of visible elements. */
  get length (): number {
    return this.index.size
  }

  /** Where a new element at visible index `i` goes: its parent and side. */
  place (i: number): { parent: SeqNode<V>, side: Side } {
    const a = i === 0 ? this.root : this.index.at(i - 1)
    if (a === undefined) throw new RangeError(`index ${i} out of range`)
    if (a.rights === undefined || a.rights.length === 0) return { parent: a, side: 1 }
    // a has right children, so the element after it is the leftmost node of
    // its right subtree, which has no left children: hang on its left.
    const b = a === this.root ? this.index.first() : this.index.next(a)
    if (b === undefined) throw new Error('fugue invariant: right subtree without elements')
    return { parent: b, side: 0 }
  }

  /** Attach a new node under its parent and put it into the order. */
  attach (n: SeqNode<V>): void {
    const p = n.parent
    if (p === null) throw new Error('only the root has no parent')
    let kids = n.side === 1 ? p.rights : p.lefts
    let k = 0
    if (kids === undefined) {
      // Most nodes get one child on a side: an exact-size array saves memory.
      kids = [n]
      if (n.side === 1) p.rights = kids
      else p.lefts = kids
    } else {
      k = insertSorted(kids, n)
    }
    if (n.side === 1) {
      if (k > 0) this.index.insertAfter(lastOf(kids[k - 1] as SeqNode<V>), n)
      else this.index.insertAfter(p === this.root ? null : p, n)
    } else {
      if (k + 1 < kids.length) this.index.insertBefore(firstOf(kids[k + 1] as SeqNode<V>), n)
      else this.index.insertBefore(p, n)
    }
  }
}

/**
 * Attach new nodes forming a chain: the first goes where `attach` puts it,
 * each next one is the only (right) child of the one before, as a pasted
 * string is. One pass over the order index for all of them.
 */
export function attachChain<V> (tree: FugueTree<V>, nodes: ReadonlyArray<SeqNode<V>>): void {
  const first = nodes[0]
  if (first === undefined) return
  tree.attach(first)
  for (let i = 1; i < nodes.length; i++) {
    const n = nodes[i] as SeqNode<V>
    if (n.parent !== nodes[i - 1] || n.side !== 1) throw new Error('attachChain: not a chain')
    n.parent.rights = [n]
  }
  tree.index.insertManyAfter(first, nodes.slice(1))
}

/** Insert `n` into `kids` keeping id order; returns its position. */
function insertSorted<V> (kids: Array<SeqNode<V>>, n: SeqNode<V>): number {
  let lo = 0
  let hi = kids.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compareNodes(kids[mid] as SeqNode<V>, n) < 0) lo = mid + 1
    else hi = mid
  }
  kids.splice(lo, 0, n)
  return lo
}

/** Last node of the in-order walk of `n`'s subtree. */
function lastOf<V> (n: SeqNode<V>): SeqNode<V> {
  let x = n
  while (x.rights !== undefined && x.rights.length > 0) x = x.rights[x.rights.length - 1] as SeqNode<V>
  return x
}

/** First node of the in-order walk of `n`'s subtree. */
function firstOf<V> (n: SeqNode<V>): SeqNode<V> {
  let x = n
  while (x.lefts !== undefined && x.lefts.length > 0) x = x.lefts[0] as SeqNode<V>
  return x
}
