/**
 * A serve() in its own process, for memory tests: its RSS and buffer
 * memory are not mixed with the test runner's. Run with --expose-gc, and
 * with IPC. argv: maxLineBytes, maxHeldBytes ('default' for the default).
 * Sends { address } once listening; answers 'stats' with a MemoryReport
 * (after a full GC when exposed), 'peek' with one without a GC, and exits
 * on 'exit'.
 */
import { Model } from '../../lib/models/model'
import { serve, type NetOptions } from '../../lib/net/serve'
import { isGrapevineError } from '../../lib/errors/grapevine-error'
import type { MemoryBudgetStats } from '../../lib/limits/memory-budget'

/** What the server process reports. */
export interface MemoryReport {
  rss: number
  arrayBuffers: number
  links: number
  budget: MemoryBudgetStats
  /** Closed links: the peer's id (from its header) and the code and details of the error, if any. */
  closed: Array<{ id: string | undefined, code: string | undefined, details: Record<string, unknown> | undefined }>
  /** Keys of the served model. */
  keys: string[]
}

async function main (): Promise<void> {
  const [lineArg, heldArg] = process.argv.slice(2)
  const model = new Model({ id: 'server' })
  for (let i = 0; i < 5; i++) model.set(`k${i}`, i)
  const opts: NetOptions = { stream: { maxLineBytes: Number(lineArg) }, idleTimeoutMs: 0, handshakeTimeoutMs: 0 }
  if (heldArg !== undefined && heldArg !== 'default') opts.maxHeldBytes = Number(heldArg)
  const server = await serve(model, 'tcp://127.0.0.1:0', opts)
  const closed: MemoryReport['closed'] = []
  server.on('unlink', (l: { error: Error | undefined, stream: { peerHeader: { id: string } | undefined } }) => {
    const e = l.error
    closed.push({ id: l.stream.peerHeader?.id, code: isGrapevineError(e) ? e.code : undefined, details: isGrapevineError(e) ? { ...e.details } : undefined })
  })
  const gc = (globalThis as { gc?: () => void }).gc
  process.on('message', (msg: unknown) => {
    if (msg === 'exit') {
      void server.close().then(() => process.exit(0))
      return
    }
    if (msg !== 'stats' && msg !== 'peek') return
    const send = (): void => {
      const mu = process.memoryUsage()
      const report: MemoryReport = { rss: mu.rss, arrayBuffers: mu.arrayBuffers, links: server.links.size, budget: server.memory.stats, closed, keys: model.keys() }
      process.send?.(report)
    }
    if (msg === 'peek' || gc === undefined) return send()
    // V8 frees array buffers after a collection, concurrently: collect,
    // give the sweeper a moment, collect again, then measure.
    gc()
    setTimeout(() => { gc(); setTimeout(send, 50) }, 100)
  })
  process.send?.({ address: server.address })
}

void main()
