/**
 * Line diffs as splices, and caret positions carried across edits: the
 * pure part of grapevine/r-edit. No I/O.
 */

/** One splice: `[index, deleteCount, ...insert]`, applied in order (each on the result of the last). */
export type Splice = [number, number, ...string[]]

/** Above this many cells the middle of a diff is replaced whole instead of aligned. */
const MAX_CELLS = 4_000_000

/**
 * Splices that turn `a` into `b`, keeping every line of a longest common
 * subsequence in place (so a peer's concurrent edit of an unchanged line
 * survives). A changed run becomes one splice, whose first lines replace
 * removed lines in place.
 */
export function diffLines (a: readonly string[], b: readonly string[]): Splice[] {
  let pre = 0
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++
  let suf = 0
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++
  const x = a.slice(pre, a.length - suf)
  const y = b.slice(pre, b.length - suf)
  if (x.length === 0 && y.length === 0) return []
  const pairs = x.length * y.length <= MAX_CELLS ? common(x, y) : []
  const out: Splice[] = []
  let i = 0
  let j = 0
  let at = pre
  for (const [pi, pj] of [...pairs, [x.length, y.length] as const]) {
    if (pi > i || pj > j) out.push([at, pi - i, ...y.slice(j, pj)])
    at += pj - j + 1
    i = pi + 1
    j = pj + 1
  }
  return out
}

/** Index pairs of a longest common subsequence of `x` and `y`, in order. */
function common (x: readonly string[], y: readonly string[]): Array<readonly [number, number]> {
  const n = x.length
  const m = y.length
  if (n === 0 || m === 0) return []
  // Suffix LCS lengths, one row of m + 1 per line of x.
  const len = new Uint32Array((n + 1) * (m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * (m + 1) + j] = x[i] === y[j]
        ? (len[(i + 1) * (m + 1) + j + 1] as number) + 1
        : Math.max(len[(i + 1) * (m + 1) + j] as number, len[i * (m + 1) + j + 1] as number)
    }
  }
  const out: Array<readonly [number, number]> = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push([i, j])
      i++
      j++
    } else if ((len[(i + 1) * (m + 1) + j] as number) >= (len[i * (m + 1) + j + 1] as number)) i++
    else j++
  }
  return out
}

/**
 * Where a caret at `pos` ends up after the text `[at, at + removed)` is
 * replaced by `inserted` characters: after the edit it moves by the
 * difference, inside it stays within what replaced it, and at an insert's
 * own position it moves past the insert (a line typed above yours pushes
 * yours down).
 */
export function moveCaret (pos: number, at: number, removed: number, inserted: number): number {
  if (pos < at) return pos
  if (pos >= at + removed) return pos + inserted - removed
  return at + Math.min(pos - at, inserted)
}
