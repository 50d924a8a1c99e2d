import type { ReducerSpec } from '../../index'

/** State of the sample reducer: a grow-only set of tags and a max register. */
export interface TagsAndMax {
  tags: string[]
  max: number
}

/** A lawful reducer (commutative, associative, idempotent) used across tests. */
export function tagsAndMax (): ReducerSpec<TagsAndMax, { tag?: string, max?: number }> {
  return {
    initial: { tags: [], max: 0 },
    reduce (state, change) {
      if (typeof change.tag === 'string') {
        if (state.tags.includes(change.tag)) return null
        state.tags.push(change.tag)
        state.tags.sort()
        return { tag: change.tag }
      }
      if (typeof change.max === 'number') {
        if (change.max <= state.max) return null
        state.max = change.max
        return { max: change.max }
      }
      return null
    },
    isChange: (c: unknown): c is { tag?: string, max?: number } =>
      typeof c === 'object' && c !== null && (typeof (c as { tag?: unknown }).tag === 'string' || typeof (c as { max?: unknown }).max === 'number')
  }
}
