import type test from 'tape'
import { Model } from '../../lib/models/model'
import { type RelayClient, connectRelays } from '../../lib/redis/client'
import { type RedisRelay, type RedisRelayOptions, serveWithRedis } from '../../lib/redis/relay'
import { RedisServer } from './redis-server'

let shared: Promise<RedisServer> | undefined
let prefixes = 0

/**
 * The Redis of this test file: a real redis-server started on first use
 * (AOF on, fsync always), stopped when the file's tests finish. Fails the
 * test, saying why, when redis-server is missing.
 */
export async function redisFor (t: test.Test, tape: typeof test): Promise<RedisServer> {
  if (shared === undefined) {
    shared = RedisServer.start()
    tape.onFinish(() => { void shared?.then((r) => r.destroy(), () => {}) })
  }
  try {
    return await shared
  } catch (err) {
    t.fail(String(err instanceof Error ? err.message : err))
    throw err
  }
}

/** A key prefix no other test of the run uses, so tests share one Redis without seeing each other. */
export function freshPrefix (): string {
  return `t${process.pid}x${++prefixes}`
}

/** `n` relays on the same Redis and prefix, each on one loopback address. */
export async function relays (redis: RedisServer, n: number, opts: Partial<RedisRelayOptions> & { listen?: string[] } = {}): Promise<RedisRelay[]> {
  const out: RedisRelay[] = []
  const prefix = opts.prefix ?? freshPrefix()
  for (let i = 0; i < n; i++) {
    out.push(await serveWithRedis(opts.listen?.[i] ?? 'tcp://127.0.0.1:0', { blockMs: 500, ...opts, redis: redis.url, prefix }))
  }
  return out
}

/** A Model client connected to the given relay addresses (one at a time). */
export function client (id: string, addresses: string[], opts: Parameters<typeof connectRelays>[2] = {}): { model: Model, client: RelayClient } {
  const model = new Model(id)
  return { model, client: connectRelays(model, addresses, { baseMs: 20, maxMs: 200, ...opts }) }
}

/** Close relays and clients, whatever state they are in. */
export async function closeAll (rs: RedisRelay[], cs: RelayClient[] = []): Promise<void> {
  for (const c of cs) c.close()
  await Promise.all(rs.map((r) => r.close()))
}
