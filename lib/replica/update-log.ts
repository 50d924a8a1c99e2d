import type { VectorClock } from '../clock/vector-clock'
import type { SourceId, Update } from '../wire/types'
import { compareUpdates } from './compare'

/**
 * Every accepted update kept, per source in timestamp order (they arrive
 * in order), for data types whose history is their whole log. `since`
 * binary-searches each source, so a reconnect costs what is missing plus
 * one search per source, not a scan of the log.
 */
export class UpdateLog<U extends Update = Update> {
  private readonly bySource = new Map<SourceId, U[]>()
  private count = 0

  /** Append an update; its timestamp must be above its source's last. */
  append (update: U): void {
    const list = this.bySource.get(update[2])
    if (list === undefined) this.bySource.set(update[2], [update])
    else list.push(update)
    this.count++
  }

  /** Number of updates held. */
  get size (): number {
    return this.count
  }

  /** The updates newer than `clock`, ordered by `(ts, source)`. */
  since (clock: VectorClock): U[] {
    const out: U[] = []
    for (const [source, list] of this.bySource) {
      const seen = clock.get(source)
      let lo = 0
      let hi = list.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((list[mid] as U)[1] <= seen) lo = mid + 1
        else hi = mid
      }
      for (let i = lo; i < list.length; i++) out.push(list[i] as U)
    }
    return out.sort(compareUpdates)
  }
}
