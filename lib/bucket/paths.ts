import { MAX_SOURCE_LENGTH } from '../wire/types'
import { isBucketName } from './messages'

/**
 * Joins the names of nested buckets into one wire name: `outer` + U+001F +
 * `inner`. A control character no name may hold, so a path can never be
 * mistaken for a name of the outer bucket.
 */
export const PATH_SEPARATOR = '\u001f'

/** The longest wire name, nested path included (the rule of a source id). */
export const MAX_PATH_LENGTH = MAX_SOURCE_LENGTH

/** A name a bucket accepts in `add`: a wire name without the path separator. */
export function isMemberName (v: unknown): v is string {
  return isBucketName(v) && !v.includes(PATH_SEPARATOR)
}

/** The wire name of `path` inside the member named `name`. */
export function joinPath (name: string, path: string): string {
  return name + PATH_SEPARATOR + path
}

/** `[first name, rest of the path]`, rest undefined for a plain name. */
export function splitPath (path: string): readonly [string, string | undefined] {
  const i = path.indexOf(PATH_SEPARATOR)
  return i < 0 ? [path, undefined] : [path.slice(0, i), path.slice(i + 1)]
}
