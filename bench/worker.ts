// One benchmark cell in its own process (clean heap, killable on a time cap):
// node dist/bench/worker.js '{"scenario":"s1","system":"grapevine","params":{...}}'
// Prints one JSON line: { samples } or { error }.
import { scenarios, type Params } from './scenarios'
import { systems } from './systems/index'

interface Job { scenario: string, system: string, params: Params }

async function main (): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job
  const scenario = scenarios[job.scenario]
  const system = systems[job.system]
  if (scenario === undefined || system === undefined) throw new Error(`unknown cell ${job.scenario}/${job.system}`)
  const samples = await scenario(system, job.params)
  process.stdout.write(JSON.stringify({ samples }) + '\n')
}

main().then(() => process.exit(0), (err: Error) => {
  process.stdout.write(JSON.stringify({ error: err.message }) + '\n')
  process.exit(0)
})
