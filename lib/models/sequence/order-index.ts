/** A block of consecutive elements of the full order (visible or not). */
export class Block<E> {
  items: E[] = []
  /**
   * 1 where `items[i]` is visible, else 0. Scans read this compact array
   * instead of touching every element, which in a long document are
   * scattered over the heap (cache misses dominated before).
   */
  vis: number[] = []
  /** Visible elements in this block. */
  live = 0
  /** Position of this block in the index's block list. */
  index = 0
}

/** What the index needs from an element: its block and whether it counts. */
export interface Indexed<E> {
  block: Block<E> | undefined
  visible: boolean
}

/** Largest block before it splits in two. */
const MAX_BLOCK = 256

/**
 * The total order of a sequence (tombstones included), stored as a list of
 * blocks of at most 256 elements plus a Fenwick tree of the blocks' visible
 * counts. Finding the i-th visible element, the visible index of an element,
 * and inserting next to an element are O(log n + B) with B the block size,
 * so typing into a long document never turns quadratic. Pure: no I/O.
 */
export class OrderIndex<E extends Indexed<E>> {
  private blocks: Array<Block<E>> = []
  /** Fenwick tree (1-based) over `blocks[i].live`. */
  private fenwick: number[] = [0]
  private visibleCount = 0
  private total = 0

  /** Number of visible elements. */
  get size (): number {
    return this.visibleCount
  }

  /** Number of elements, hidden ones included. */
  get count (): number {
    return this.total
  }

  /** Insert `e` right after `ref`, or at the very start when `ref` is null. */
  insertAfter (ref: E | null, e: E): void {
    if (ref === null) {
      if (this.blocks.length === 0) this.addFirstBlock()
      this.insertIn(this.blocks[0] as Block<E>, 0, e)
      return
    }
    const b = blockOf(ref)
    this.insertIn(b, b.items.indexOf(ref) + 1, e)
  }

  /**
   * Insert `es`, in order, right after `ref` (null: at the start), in one
   * pass: a long paste costs O(n), not one split per 128 elements.
   */
  insertManyAfter (ref: E | null, es: readonly E[]): void {
    if (es.length <= 1) {
      if (es.length === 1) this.insertAfter(ref, es[0] as E)
      return
    }
    if (this.blocks.length === 0) this.addFirstBlock()
    const b = ref === null ? this.blocks[0] as Block<E> : blockOf(ref)
    const pos = ref === null ? 0 : b.items.indexOf(ref) + 1
    const items = b.items.slice(0, pos).concat(es, b.items.slice(pos))
    const vis = b.vis.slice(0, pos).concat(es.map((e) => (e.visible ? 1 : 0)), b.vis.slice(pos))
    const added: Array<Block<E>> = []
    for (let start = 0; start < items.length; start += MAX_BLOCK >> 1) {
      const nb = start === 0 ? b : new Block<E>()
      nb.items = items.slice(start, start + (MAX_BLOCK >> 1))
      nb.vis = vis.slice(start, start + (MAX_BLOCK >> 1))
      nb.live = 0
      for (const v of nb.vis) nb.live += v
      for (const x of nb.items) x.block = nb
      if (start > 0) added.push(nb)
    }
    for (const e of es) if (e.visible) this.visibleCount++
    this.total += es.length
    this.blocks = this.blocks.slice(0, b.index + 1).concat(added, this.blocks.slice(b.index + 1))
    for (let i = b.index; i < this.blocks.length; i++) (this.blocks[i] as Block<E>).index = i
    this.rebuild()
  }

  /** Insert `e` right before `ref`. */
  insertBefore (ref: E, e: E): void {
    const b = blockOf(ref)
    this.insertIn(b, b.items.indexOf(ref), e)
  }

  /** The visible element at visible index `i`, or undefined. */
  at (i: number): E | undefined {
    if (!(i >= 0 && i < this.visibleCount)) return undefined
    const [bi, rest] = this.findBlock(i)
    const b = this.blocks[bi] as Block<E>
    const vis = b.vis
    let left = rest
    for (let j = 0; j < vis.length; j++) {
      if (vis[j] === 0) continue
      if (left === 0) return b.items[j]
      left--
    }
    return undefined
  }

  /** Number of visible elements before `e` (its index, if visible). */
  indexOf (e: E): number {
    const b = blockOf(e)
    let n = this.prefix(b.index)
    const p = b.items.indexOf(e)
    const vis = b.vis
    for (let j = 0; j < p; j++) n += vis[j] as number
    return n
  }

  /** The element after `e` in the full order, hidden or not. */
  next (e: E): E | undefined {
    const b = blockOf(e)
    const p = b.items.indexOf(e)
    if (p + 1 < b.items.length) return b.items[p + 1]
    return this.blocks[b.index + 1]?.items[0]
  }

  /** The first element of the full order. */
  first (): E | undefined {
    return this.blocks[0]?.items[0]
  }

  /** Show or hide `e` (it stays in the order). */
  setVisible (e: E, visible: boolean): void {
    if (e.visible === visible) return
    e.visible = visible
    const d = visible ? 1 : -1
    const b = blockOf(e)
    b.vis[b.items.indexOf(e)] = visible ? 1 : 0
    b.live += d
    this.visibleCount += d
    this.add(b.index, d)
  }

  /** Visible elements from visible index `start` on, in order. */
  * visibleFrom (start = 0): IterableIterator<E> {
    if (start >= this.visibleCount) return
    let [bi, skip] = start <= 0 ? [0, 0] : this.findBlock(start)
    for (; bi < this.blocks.length; bi++) {
      const b = this.blocks[bi] as Block<E>
      for (let j = 0; j < b.vis.length; j++) {
        if (b.vis[j] === 0) continue
        if (skip > 0) { skip--; continue }
        yield b.items[j] as E
      }
    }
  }

  /** Every element, hidden ones included, in order. */
  * all (): IterableIterator<E> {
    for (const b of this.blocks) yield * b.items
  }

  private addFirstBlock (): void {
    this.blocks.push(new Block<E>())
    this.fenwick = [0, 0]
  }

  private insertIn (b: Block<E>, pos: number, e: E): void {
    b.items.splice(pos, 0, e)
    b.vis.splice(pos, 0, e.visible ? 1 : 0)
    e.block = b
    this.total++
    if (e.visible) {
      b.live++
      this.visibleCount++
      this.add(b.index, 1)
    }
    if (b.items.length > MAX_BLOCK) this.split(b)
  }

  /** Split a full block in halves; renumber and rebuild (amortised O(n / B^2) per insert). */
  private split (b: Block<E>): void {
    const nb = new Block<E>()
    const half = b.items.length >> 1
    nb.items = b.items.splice(half)
    nb.vis = b.vis.splice(half)
    for (const x of nb.items) x.block = nb
    for (const v of nb.vis) nb.live += v
    b.live -= nb.live
    this.blocks.splice(b.index + 1, 0, nb)
    for (let i = b.index + 1; i < this.blocks.length; i++) (this.blocks[i] as Block<E>).index = i
    this.rebuild()
  }

  private rebuild (): void {
    const m = this.blocks.length
    const t = new Array<number>(m + 1).fill(0)
    for (let i = 1; i <= m; i++) {
      t[i] = (t[i] as number) + (this.blocks[i - 1] as Block<E>).live
      const j = i + (i & -i)
      if (j <= m) t[j] = (t[j] as number) + (t[i] as number)
    }
    this.fenwick = t
  }

  private add (blockIndex: number, d: number): void {
    const t = this.fenwick
    for (let i = blockIndex + 1; i < t.length; i += i & -i) t[i] = (t[i] as number) + d
  }

  /** Visible elements in blocks [0, blockIndex). */
  private prefix (blockIndex: number): number {
    let s = 0
    for (let i = blockIndex; i > 0; i -= i & -i) s += this.fenwick[i] as number
    return s
  }

  /** The block holding visible index `pos`, and the visible offset inside it. */
  private findBlock (pos: number): [number, number] {
    const t = this.fenwick
    const m = t.length - 1
    let idx = 0
    let rest = pos
    let step = 1
    while (step * 2 <= m) step *= 2
    for (; step > 0; step >>= 1) {
      const j = idx + step
      if (j <= m && (t[j] as number) <= rest) {
        idx = j
        rest -= t[j] as number
      }
    }
    return [idx, rest]
  }
}

function blockOf<E> (e: Indexed<E>): Block<E> {
  const b = e.block
  if (b === undefined) throw new Error('element is not in the index')
  return b
}
