import { invalidArgument } from '../errors/grapevine-error'
import type { ReplicaOptions } from '../replica/replica'
import type { Update } from '../wire/types'
import type { ElementRun } from './sequence/changes'
import { SeqNode, type Side } from './sequence/fugue-tree'
import { SequenceReplica } from './sequence/sequence-replica'

/** Options of `new Text()`; see ReplicaOptions. */
export type TextOptions = ReplicaOptions

/** An edit as reported by Text's `'change'` event; positions in UTF-16 code units. */
export type TextEdit =
  | { readonly type: 'insert', readonly pos: number, readonly text: string }
  | { readonly type: 'delete', readonly pos: number, readonly length: number }

/**
 * Collaborative plain text (the successor of r-edit and r-string). Text
 * typed concurrently at the same place never interleaves; deleted
 * characters stay as hidden tombstones. An `insert` of many characters is
 * one update carrying the string. Positions count UTF-16 code units, like
 * JavaScript strings.
 *
 * Events: `'change' (edit: TextEdit, update)` for local and remote edits.
 */
export class Text extends SequenceReplica<string, string> {
  protected readonly kinds = { move: false, set: false }

  constructor (opts: TextOptions | string = {}) {
    super(opts, '')
  }

  /** Insert `text` so that it starts at `pos` (0 ..= length). */
  insert (pos: number, text: string): this {
    if (typeof text !== 'string') invalidArgument('text must be a string')
    checkPos(pos, this.length, 'pos')
    if (text.length === 0) return this
    const { parent, side } = this.tree.place(pos)
    this.localUpdate(['i', this.refOf(parent), side, text])
    return this
  }

  /** Delete `length` characters starting at `pos`; a range past the end is cut short. */
  delete (pos: number, length = 1): this {
    checkPos(pos, this.length, 'pos')
    if (!Number.isInteger(length) || length < 0) invalidArgument('length must be a non-negative integer')
    const runs: Array<[number, string, number, number]> = []
    let left = length
    for (const n of this.tree.index.visibleFrom(pos)) {
      if (left-- === 0) break
      const last = runs[runs.length - 1]
      if (last !== undefined && last[0] === n.ts && last[1] === n.src && last[2] + last[3] === n.k) last[3]++
      else runs.push([n.ts, n.src, n.k, 1])
    }
    if (runs.length > 0) this.localUpdate(['d', runs satisfies ElementRun[]])
    return this
  }

  /** Number of characters (UTF-16 code units). */
  get length (): number {
    return this.tree.length
  }

  /** The character at `pos`, or undefined. */
  charAt (pos: number): string | undefined {
    return this.tree.index.at(pos)?.value
  }

  /** `length` characters from `pos` (default: to the end). */
  slice (pos = 0, length = Infinity): string {
    let out = ''
    let left = length
    for (const n of this.tree.index.visibleFrom(Math.max(0, pos))) {
      if (left-- <= 0) break
      out += n.value
    }
    return out
  }

  /** The whole text. */
  override toString (): string {
    return this.slice()
  }

  toJSON (): string {
    return this.toString()
  }

  protected isContent (x: unknown): x is string {
    return typeof x === 'string' && x.length > 0
  }

  protected contentOf (nodes: ReadonlyArray<SeqNode<string>>): string {
    let s = ''
    for (const n of nodes) s += n.value
    return s
  }

  protected contentLength (content: string): number {
    return content.length
  }

  protected integrateInsert (update: Update, parent: SeqNode<string>, side: Side, content: string): Array<SeqNode<string>> {
    const [, ts, src] = update
    const nodes = this.chain(parent, side, content.length, (k, p, s) => {
      const n = new SeqNode(ts, src, k, p, s, content[k] as string)
      n.visible = true
      return n
    })
    if (this.listenerCount('change') === 0) return nodes // finding the position costs a lookup
    const pos = this.tree.index.indexOf(nodes[0] as SeqNode<string>)
    this.report('change', { type: 'insert', pos, text: content } satisfies TextEdit, update)
    return nodes
  }

  protected integrateDelete (update: Update, targets: Array<SeqNode<string>>): void {
    const index = this.tree.index
    if (this.listenerCount('change') === 0) {
      for (const n of targets) index.setVisible(n, false)
      return
    }
    // Consecutive characters collapse into one edit: after removing the
    // first, the next one sits at the same position.
    let pos = -1
    let length = 0
    const flush = (): void => {
      if (length > 0) this.report('change', { type: 'delete', pos, length } satisfies TextEdit, update)
    }
    for (const n of targets) {
      if (!n.visible) continue
      const at = index.indexOf(n)
      index.setVisible(n, false)
      if (at === pos) {
        length++
      } else {
        flush()
        pos = at
        length = 1
      }
    }
    flush()
  }
}

function checkPos (pos: number, length: number, name: string): void {
  if (!Number.isInteger(pos) || pos < 0 || pos > length) invalidArgument(`${name} must be an integer in 0..${length}`)
}
