// Just enough of scuttlebutt@5's untyped API for the benchmark adapters.
declare module 'scuttlebutt/model' {
  import type { EventEmitter } from 'node:events'
  import type { Duplex } from 'node:stream'

  class ScuttlebuttModel extends EventEmitter {
    constructor (opts?: string | { id?: string })
    readonly id: string
    set (key: string, value: unknown): this
    get (key: string): unknown
    keys (): string[]
    createStream (opts?: Record<string, unknown>): Duplex
    dispose (): void
  }
  export = ScuttlebuttModel
}
