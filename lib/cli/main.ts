#!/usr/bin/env node
// The CLI: the one place in lib/ that prints with console.
import { type Args, UsageError, parseArgs } from './args'
import { cmdDemo } from './demo'
import { cmdClock, cmdGet, cmdStats, cmdWatch, cmdWrite } from './oneshot'
import { Output } from './output'
import { cmdRelay } from './relay'
import { cmdServe } from './serve'
import { getType, typeNames } from './types'

const USAGE = `grapevine: replicate data over TCP, TLS and WebSocket

usage: grapevine <command> [options]

  serve              run a replica in a mesh; reads commands on stdin (try "help")
    --listen ADDR      where to listen (default tcp://127.0.0.1:0; tls:// ws:// wss://)
    --peer ADDR        a peer to join (repeat, or comma-separated)
    --watch            print every change
    --fill N           start with N generated entries (to try a large sync)
  get [KEY]          print a value (or everything) from --peer
  set ...            write through --peer (model: KEY VALUE; value: VALUE; events: NAME ARGS...)
  delete KEY         delete a key through --peer
  watch              print --peer's state, then its changes live
  clock              print --peer's vector clock
  stats              sync once with --peer and print the stream counters
  demo               several peers on loopback converge, then exit (--count N --writes N)
  relay              a stateless relay whose documents live in Redis; run several, clients use any
    --redis URL        the Redis to share (redis://127.0.0.1:6379)
    --listen ADDR      where to listen (comma-separated for several: tcp://..,ws://..)
    --bucket           serve many documents as a Bucket (default: one document, --doc NAME)

common options:
  --type T           data type: ${typeNames().join(', ')} (default model)
  --id ID            replica id (default random)
  --cert F --key F   TLS certificate and key (serve on tls:// or wss://)
  --ca F             trust this certificate (dial a self-signed tls:// or wss:// peer)
  --clock-offset MS  pretend this machine's wall clock is off by MS (try skew warnings)
  --json             JSON lines on stdout, for scripts
  --quiet            no progress or chatter on stderr
  -h, --help         this help

values are parsed as JSON when they parse (42, true, {"a":1}), else taken as text.`

async function run (args: Args, out: Output): Promise<void> {
  switch (args.command) {
    case 'serve': return await cmdServe(args, out)
    case 'get': return await cmdGet(args, out)
    case 'set': return await cmdWrite(args, out, false)
    case 'delete':
    case 'del': return await cmdWrite(args, out, true)
    case 'watch': return await cmdWatch(args, out)
    case 'clock': return await cmdClock(args, out)
    case 'stats': return await cmdStats(args, out)
    case 'demo': return await cmdDemo(args, out)
    case 'relay': return await cmdRelay(args, out)
    case 'types': return out.result(typeNames().map((n) => ({ name: n, summary: getType(n).summary, set: getType(n).setUsage })))
    default: throw new UsageError(args.command === undefined ? 'no command given' : `unknown command "${args.command}"`)
  }
}

/** Run the CLI with `argv`; resolves to the exit code. */
export async function main (argv: readonly string[]): Promise<number> {
  let args: Args
  try {
    args = parseArgs(argv)
  } catch (err) {
    console.error(String(err))
    return 2
  }
  if (args.flags.get('help') === true || args.command === 'help') {
    console.log(USAGE)
    return 0
  }
  const out = new Output(args.flags.get('json') === true, args.flags.get('quiet') === true)
  try {
    await run(args, out)
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`grapevine: ${err.message}\n(grapevine --help for usage)`)
      return 2
    }
    if (out.json) console.error(JSON.stringify({ type: 'error', message: (err as Error).message, code: (err as { code?: unknown }).code }))
    else console.error(`grapevine: ${(err as Error).message}`)
    return 1
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    // Let stdout drain before exiting, so piped output is complete.
    process.stdout.write('', () => process.exit(code))
  }, (err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
