import { Events } from '../models/events'
import { Model } from '../models/model'
import { Value } from '../models/value'
import type { Replica } from '../replica/replica'
import type { Update } from '../wire/types'
import { UsageError, parseValue } from './args'

/** A change shown by `watch` and `serve`. */
export interface CliChange {
  /** Key, event name, or undefined for a Value. */
  readonly key?: string
  readonly value: unknown
  /** The replica id that wrote it. */
  readonly source: string
}

/**
 * How the CLI drives one data type. Adding a type is one object passed to
 * `registerType`: how to make it, and what set/get/delete/watch mean for it.
 */
export interface CliType {
  readonly name: string
  /** One line for `--help`. */
  readonly summary: string
  /** Usage of `set` for this type (for --help and errors). */
  readonly setUsage: string
  /** A new replica; `now` replaces the wall clock (see --clock-offset). */
  create (id: string | undefined, now?: () => number): Replica
  set (r: Replica, args: readonly string[]): void
  get (r: Replica, args: readonly string[]): unknown
  delete? (r: Replica, args: readonly string[]): void
  /** The whole state, as JSON. */
  snapshot (r: Replica): unknown
  /** Call `fn` for every change; returns the cleanup. */
  watch (r: Replica, fn: (c: CliChange) => void): () => void
}

const registry = new Map<string, CliType>()

/** Make a data type available to the CLI (`--type name`). */
export function registerType (t: CliType): void {
  registry.set(t.name, t)
}

/** The registered type called `name`; a usage error if unknown. */
export function getType (name: string): CliType {
  const t = registry.get(name)
  if (t === undefined) throw new UsageError(`unknown --type "${name}" (known: ${typeNames().join(', ')})`)
  return t
}

/** Names of the registered types. */
export function typeNames (): string[] {
  return [...registry.keys()]
}

function need (args: readonly string[], n: number, usage: string): void {
  if (args.length < n) throw new UsageError(`usage: ${usage}`)
}

function opts (id: string | undefined, now: (() => number) | undefined): { id?: string, now?: () => number } {
  const o: { id?: string, now?: () => number } = {}
  if (id !== undefined) o.id = id
  if (now !== undefined) o.now = now
  return o
}

registerType({
  name: 'model',
  summary: 'last-writer-wins key/value map (scuttlebutt/model compatible)',
  setUsage: 'set KEY VALUE',
  create: (id, now) => new Model(opts(id, now)),
  set (r, args) { need(args, 2, this.setUsage); (r as Model).set(args[0] as string, parseValue(args.slice(1).join(' '))) },
  get (r, args) { return args.length === 0 ? (r as Model).toJSON() : (r as Model).get(args[0] as string) },
  delete (r, args) { need(args, 1, 'delete KEY'); (r as Model).delete(args[0] as string) },
  snapshot: (r) => (r as Model).toJSON(),
  watch (r, fn) {
    const on = (key: string, value: unknown, u: Update): void => fn({ key, value, source: u[2] })
    r.on('change', on)
    return () => { r.off('change', on) }
  }
})

registerType({
  name: 'value',
  summary: 'one last-writer-wins value',
  setUsage: 'set VALUE',
  create: (id, now) => new Value(opts(id, now)),
  set (r, args) { need(args, 1, this.setUsage); (r as Value).set(parseValue(args.join(' '))) },
  get: (r) => (r as Value).get(),
  snapshot: (r) => (r as Value).get(),
  watch (r, fn) {
    const on = (value: unknown, u: Update): void => fn({ value, source: u[2] })
    r.on('change', on)
    return () => { r.off('change', on) }
  }
})

registerType({
  name: 'events',
  summary: 'replicated append-only event log (scuttlebutt/events compatible)',
  setUsage: 'set NAME [ARG...]',
  create: (id, now) => new Events(opts(id, now)),
  set (r, args) { need(args, 1, this.setUsage); (r as Events).emit(args[0] as string, ...args.slice(1).map(parseValue)) },
  get (r, args) {
    const all = (r as Events).events()
    return args.length === 0 ? all : all.filter((e) => e[0] === args[0])
  },
  snapshot: (r) => (r as Events).events(),
  watch (r, fn) {
    // Events' own emitter carries user events; every accepted update also
    // goes through subscribe(), which is what we want here.
    return r.subscribe((u) => {
      const c = u[0] as unknown[]
      fn({ key: String(c[0]), value: c.slice(1), source: u[2] })
    })
  }
})
