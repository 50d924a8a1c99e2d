/** A small seeded PRNG (mulberry32): same seed, same sequence. */
export class Rng {
  private s: number
  constructor (readonly seed: number) {
    this.s = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next (): number {
    this.s = (this.s + 0x6D2B79F5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [lo, hi]. */
  int (lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  /** True with probability p. */
  chance (p: number): boolean {
    return this.next() < p
  }

  /** A random element. */
  pick<T> (xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T
  }

  /** A shuffled copy. */
  shuffle<T> (xs: readonly T[]): T[] {
    const a = [...xs]
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const tmp = a[i] as T
      a[i] = a[j] as T
      a[j] = tmp
    }
    return a
  }
}

/** The seed to use: `SEED=n` from the environment, else a random one. */
export function seedFromEnv (): number {
  const env = process.env.SEED
  return env !== undefined && env !== '' ? Number(env) >>> 0 : Math.floor(Math.random() * 2 ** 32)
}
