import { invalidArgument } from '../errors/grapevine-error'

/** A class that may also be called without `new`, as the old constructor functions could be. */
export type Callable<C extends abstract new (...args: never[]) => object> =
  C & ((...args: ConstructorParameters<C>) => InstanceType<C>)

/**
 * Wrap a class so that `Ctor(...)` means `new Ctor(...)` (crdt's Doc,
 * r-array and r-edit allowed both). `class X extends Wrapped` still works.
 * The old way of subclassing, `Wrapped.call(this)` after `inherits`,
 * cannot set up a class instance: it throws instead of silently
 * returning a different object.
 */
export function callable<C extends new (...args: never[]) => object> (Ctor: C): Callable<C> {
  return new Proxy(Ctor, {
    apply (target, thisArg: unknown, args: unknown[]): object {
      if (thisArg instanceof target) invalidArgument(`${target.name}.call(this) cannot initialise an object: subclass with \`class extends\``)
      return Reflect.construct(target, args) as object
    }
  }) as Callable<C>
}
