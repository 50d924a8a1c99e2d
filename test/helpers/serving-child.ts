import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'

/** A `serve()` running in a child process, so its memory and event loop are its own. */
export interface ServingChild {
  /** The address it listens on. */
  readonly address: string
  /** Its peak RSS so far, in MiB. */
  peakMiB (): Promise<number>
  /** Kill it. */
  stop (): void
}

/**
 * Start a child process serving a Model (id `server`) holding `keys` keys
 * (`k0`.. with number values) on `address` (port 0 picks one).
 */
export async function servingChild (address: string, keys = 1): Promise<ServingChild> {
  const lib = path.join(__dirname, '../../lib')
  const code = `
    const { serve } = require(${JSON.stringify(path.join(lib, 'net/serve.js'))})
    const { Model } = require(${JSON.stringify(path.join(lib, 'models/model.js'))})
    const m = new Model('server')
    for (let i = 0; i < ${keys}; i++) m.set('k' + i, i)
    serve(m, ${JSON.stringify(address)}).then((s) => {
      process.stdout.write(JSON.stringify({ address: s.address }) + '\\n')
      require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
        process.stdout.write(JSON.stringify({ peakMiB: process.resourceUsage().maxRSS / 1024 }) + '\\n')
      })
    })`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const next = async (): Promise<Record<string, unknown>> => await new Promise((resolve, reject) => {
    const onExit = (): void => reject(new Error('the serving child exited'))
    child.once('exit', onExit)
    lines.once('line', (l) => {
      child.removeListener('exit', onExit)
      resolve(JSON.parse(l) as Record<string, unknown>)
    })
  })
  const first = await next()
  return {
    address: String(first.address),
    peakMiB: async () => {
      const r = next()
      child.stdin.write('report\n')
      return Number((await r).peakMiB)
    },
    stop: () => { child.kill() }
  }
}
