import type { Timers } from '../../lib/net/backoff'

interface Task { at: number, seq: number, fn: () => void }

/** A fake clock: timers fire only when the test advances time (a binary heap keeps it fast). */
export class FakeTimers implements Timers {
  time = 0
  private seq = 0
  private heap: Task[] = []
  private live = new Set<number>()

  setTimeout (fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.live.add(id)
    this.push({ at: this.time + Math.max(0, ms), seq: id, fn })
    return id
  }

  clearTimeout (handle: unknown): void {
    this.live.delete(handle as number)
  }

  now (): number {
    return this.time
  }

  /** Timers still pending. */
  get pending (): number {
    return this.live.size
  }

  /** Advance to `time + ms`, firing due timers in order and letting promises settle after each instant. */
  async advance (ms: number): Promise<void> {
    const end = this.time + ms
    await settle()
    for (;;) {
      while (this.heap.length > 0 && !this.live.has((this.heap[0] as Task).seq)) this.pop()
      const top = this.heap[0]
      if (top === undefined || top.at > end) break
      const at = top.at
      this.time = at
      while (this.heap.length > 0 && (this.heap[0] as Task).at === at) {
        const t = this.pop()
        if (this.live.delete(t.seq)) t.fn()
      }
      await settle()
    }
    this.time = end
    await settle()
  }

  private less (a: Task, b: Task): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  private push (t: Task): void {
    const h = this.heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(h[i] as Task, h[p] as Task)) break
      ;[h[i], h[p]] = [h[p] as Task, h[i] as Task]
      i = p
    }
  }

  private pop (): Task {
    const h = this.heap
    const top = h[0] as Task
    const last = h.pop() as Task
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.less(h[l] as Task, h[m] as Task)) m = l
        if (r < h.length && this.less(h[r] as Task, h[m] as Task)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m] as Task, h[i] as Task]
        i = m
      }
    }
    return top
  }
}

/** Let pending promise callbacks run. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

/** A small seeded PRNG (mulberry32): `SEED=n` replays a run. */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed of this run: `SEED` from the environment or a fresh one. */
export function testSeed (): number {
  const env = process.env.SEED
  return env !== undefined && env !== '' ? Number(env) : Math.floor(Math.random() * 2 ** 31)
}
