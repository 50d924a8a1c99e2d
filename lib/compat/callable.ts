import { invalidArgument } from '../errors/grapevine-error'

/** A class that may also be called without `new`, as the old constructor functions could be. */
export type Callable<C extends abstract new (...args: never[]) => object> =
  C & ((...args: ConstructorParameters<C>) => InstanceType<C>)

/** Options of `callable`. */
export interface CallableOptions {
  /**
   * Let an old-style subclass (`util.inherits(Sub, Wrapped)` with
   * `Wrapped.call(this, ...)` in its constructor) set up its instance, as
   * scuttlebutt's README tells subclasses to. Only for classes whose
   * constructors keep no closure over the instance (see below). Default
   * false: such a call throws.
   */
  oldStyleSubclasses?: boolean
}

/**
 * Wrap a class so that `Ctor(...)` means `new Ctor(...)` (the originals
 * allowed both). `class X extends Wrapped` still works.
 *
 * `Wrapped.call(this)` after `inherits` cannot run a class constructor on
 * an existing object. By default it throws instead of silently returning
 * a different object. With `oldStyleSubclasses`, it builds a fully
 * constructed instance with the subclass's prototype and moves its own
 * properties onto `this`: sound only when the constructor keeps no
 * closure over the instance (listeners are plain functions called with
 * the emitter as `this`). The scuttlebutt-family classes are written that
 * way, and test/compat checks it.
 */
export function callable<C extends new (...args: never[]) => object> (Ctor: C, opts: CallableOptions = {}): Callable<C> {
  const made = new WeakSet<object>()
  const oldStyle = opts.oldStyleSubclasses === true
  return new Proxy(Ctor, {
    construct (target, args, newTarget): object {
      const instance = Reflect.construct(target, args, newTarget) as object
      made.add(instance)
      return instance
    },
    apply (target, thisArg: unknown, args: unknown[]): object {
      if (typeof thisArg === 'object' && thisArg !== null && !made.has(thisArg) && thisArg instanceof target) {
        if (!oldStyle) invalidArgument(`${target.name}.call(this) cannot initialise an object: subclass with \`class extends\``)
        const ctor = (thisArg as { constructor?: unknown }).constructor
        const newTarget = typeof ctor === 'function' ? ctor : target
        const built = Reflect.construct(target, args, newTarget) as object
        Object.defineProperties(thisArg, Object.getOwnPropertyDescriptors(built))
        made.add(thisArg)
        return thisArg
      }
      const instance = Reflect.construct(target, args) as object
      made.add(instance)
      return instance
    }
  }) as Callable<C>
}
