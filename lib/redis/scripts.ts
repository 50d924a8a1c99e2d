import { createHash } from 'node:crypto'

/**
 * The Lua scripts a relay runs in Redis. Each runs atomically, so what
 * they read and write cannot interleave with another relay's commands, and
 * Redis writes their effects to its AOF as one transaction.
 */
export interface Script {
  readonly source: string
  readonly sha: string
}

function script (source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Append one batch: number it (`seq`, no gaps) and count its updates
 * (`total`), so a reader can tell whether it missed entries (a gap in
 * `seq`: they were trimmed before it read them) and how long the tail
 * since the snapshot is. KEYS: log, meta. ARGV: relay id, update count,
 * batch JSON. Returns `{id, seq, total}`.
 */
export const APPEND = script(`
local s = redis.call('HINCRBY', KEYS[2], 'seq', 1)
local t = redis.call('HINCRBY', KEYS[2], 'total', tonumber(ARGV[2]))
local id = redis.call('XADD', KEYS[1], '*', 's', s, 't', t, 'r', ARGV[1], 'u', ARGV[3])
return {id, s, t}
`)

/**
 * Try to become the relay that compacts: take the lock (expiring, in case
 * we die) and say where the current snapshot stands, so a relay that sees
 * someone else already compacted builds nothing. KEYS: lock, snap. ARGV:
 * relay id, lock ms. Returns `{got, seq, total}`.
 */
export const BEGIN_COMPACT = script(`
local got = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', tonumber(ARGV[2]))
local h = redis.call('HMGET', KEYS[2], 'seq', 'total')
return {got and 1 or 0, h[1] or '0', h[2] or '0'}
`)

/**
 * Replace the snapshot and trim the log before it, only if we still hold
 * the lock and the new snapshot is newer than the stored one: an older
 * snapshot written over a newer one after the log was trimmed to the newer
 * one would lose the entries between them. XTRIM MINID keeps the entry
 * the snapshot ends at, so readers resume right after it. KEYS: log, snap,
 * lock. ARGV: relay id, entry id, seq, total, clock JSON, updates JSON.
 * Returns 1 when written, 0 when not.
 */
export const COMPACT = script(`
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[3])
local cur = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
if cur >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'seq', ARGV[3], 'total', ARGV[4], 'clock', ARGV[5], 'updates', ARGV[6])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[2])
return 1
`)

/** Release the compaction lock if we hold it. KEYS: lock. ARGV: relay id. */
export const RELEASE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
