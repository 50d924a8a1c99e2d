// grapevine/r-edit: code written for r-edit (`var REdit = require('r-edit')`)
// runs with `require('grapevine/r-edit')`. Differences: docs/compat.md.
import { invalidArgument } from '../errors/grapevine-error'
import type { ListEdit } from '../models/list'
import type { Update } from '../wire/types'
import { callable } from './callable'
import { diffLines, moveCaret } from './line-diff'
import RArray = require('./r-array')

/** What `wrap` needs of a textarea (an HTMLTextAreaElement has all of it). */
interface TextAreaLike {
  value: string
  selectionStart: number | null
  selectionEnd: number | null
  addEventListener (type: string, listener: () => void): void
  removeEventListener (type: string, listener: () => void): void
}

/** Lines as r-edit kept them: each ends with its newline, the last one has none (it may be ''). */
function split (text: string): string[] {
  const lines = text.split('\n')
  return lines.map((l, i) => i < lines.length - 1 ? `${l}\n` : l)
}

/** How an item shows in the text (as Array#join shows it). */
function show (v: unknown): string {
  return v === null || v === undefined ? '' : String(v)
}

/** Textareas wrapped by some REdit, so wrapping one again moves it over (as r-edit did). */
const wrappers = new WeakMap<object, REdit>()

/**
 * Collaborative text as r-edit modelled it: a replicated array of lines.
 * `text(str)` diffs the lines and applies splices, so concurrent edits of
 * different lines merge, and concurrent edits of one line keep the latest.
 */
class REdit extends RArray {
  private wrapped: TextAreaLike | undefined
  private stop: (() => void) | undefined

  /** The whole text (no argument), or replace it with `text`, editing only the lines that changed. */
  text (): string
  text (text: string): void
  text (text?: string): string | undefined {
    if (text === undefined) return this.toArray().map(show).join('')
    if (typeof text !== 'string') invalidArgument('text must be a string')
    const next = split(text)
    for (const s of diffLines(this.toArray().map(show), next)) this.splice(...s)
    return undefined
  }

  /**
   * Keep a textarea and this document in step: typing edits the document,
   * a peer's edits update the textarea, and the caret and selection move
   * with the text around them. Returns this.
   */
  wrap (ta: TextAreaLike): this {
    if (this.wrapped !== undefined) invalidArgument('already wrapping a textarea: unwrap() it first')
    if (typeof ta !== 'object' || ta === null || typeof ta.addEventListener !== 'function') invalidArgument('wrap takes a textarea')
    wrappers.get(ta)?.unwrap()
    wrappers.set(ta, this)
    this.wrapped = ta
    ta.value = this.text()
    // The lines the textarea shows: edits are replayed on them in order.
    const shown = this.toArray().map(show)
    const offset = (index: number): number => {
      let o = 0
      for (let i = 0; i < index; i++) o += (shown[i] as string).length
      return o
    }
    let typing = false
    const onInput = (): void => {
      typing = true
      try {
        this.text(ta.value)
      } finally {
        typing = false
      }
    }
    const onEdit = (edit: ListEdit, update: Update): void => {
      const typed = typing && update[2] === this.id
      let start = ta.selectionStart ?? 0
      let end = ta.selectionEnd ?? 0
      const replace = (index: number, removed: number, text: string | undefined): void => {
        const at = offset(index)
        const old = removed > 0 ? (shown[index] as string).length : 0
        const added = text === undefined ? 0 : text.length
        start = moveCaret(start, at, old, added)
        end = moveCaret(end, at, old, added)
        if (text === undefined) shown.splice(index, removed)
        else shown.splice(index, removed, text)
      }
      if (edit.type === 'insert') replace(edit.index, 0, show(edit.value))
      else if (edit.type === 'delete') replace(edit.index, 1, undefined)
      else if (edit.type === 'set') replace(edit.index, 1, show(edit.value))
      else {
        replace(edit.from, 1, undefined)
        replace(edit.to, 0, show(edit.value))
      }
      if (typed) return // the textarea already shows what was typed
      ta.value = shown.join('')
      ta.selectionStart = start
      ta.selectionEnd = end
    }
    ta.addEventListener('input', onInput)
    this.on('change', onEdit)
    this.stop = () => {
      ta.removeEventListener('input', onInput)
      this.removeListener('change', onEdit)
      if (wrappers.get(ta) === this) wrappers.delete(ta)
    }
    return this
  }

  /** Stop following the textarea. */
  unwrap (): void {
    this.stop?.()
    this.stop = undefined
    this.wrapped = undefined
  }
}

export = callable(REdit)
