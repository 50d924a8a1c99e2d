/** A class that can also be called without `new`, as the constructors of dominictarr's modules could. */
export type Callable<C extends abstract new (...args: never[]) => object> =
  C & ((...args: ConstructorParameters<C>) => InstanceType<C>)

// reason: a constructor's parameter list is contravariant; any[] is the only one every constructor accepts.
type AnyClass = new (...args: any[]) => object

/**
 * Wrap `Class` so that `Class(...)` works like `new Class(...)`, and so that
 * an old-style subclass (`util.inherits(Sub, Class)` with
 * `Class.call(this, ...)` in its constructor) gets its instance set up.
 *
 * The old-style case builds a fully constructed instance with the
 * subclass's prototype and moves its own properties onto `this`. That is
 * sound only for constructors that keep no closure over the instance
 * (listeners are plain functions called with the emitter as `this`); every
 * class wrapped here is written that way, and test/compat checks it.
 */
export function callable<C extends AnyClass> (Class: C): Callable<C> {
  const made = new WeakSet<object>()
  return new Proxy(Class, {
    construct (target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget) as object
      made.add(instance)
      return instance
    },
    apply (target, self: unknown, args) {
      if (typeof self === 'object' && self !== null && !made.has(self) && self instanceof target) {
        const ctor = (self as { constructor?: unknown }).constructor
        const newTarget = typeof ctor === 'function' ? ctor : target
        const built = Reflect.construct(target, args, newTarget) as object
        Object.defineProperties(self, Object.getOwnPropertyDescriptors(built))
        made.add(self)
        return self
      }
      const instance = Reflect.construct(target, args) as object
      made.add(instance)
      return instance
    }
  }) as Callable<C>
}
