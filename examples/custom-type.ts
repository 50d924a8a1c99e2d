// A data type of your own in a dozen lines: the two-method contract.
import { Replica, connect, wins, type Update, type VectorClock } from '../index'

class Register extends Replica {
  private cur: Update | undefined
  set (v: number): void { this.localUpdate(v) }
  get (): number | undefined { return this.cur?.[0] as number | undefined }
  protected applyUpdate (u: Update): boolean {
    if (typeof u[0] !== 'number') return false
    if (this.cur === undefined || wins(u, this.cur)) this.cur = u
    return true
  }

  history (clock: VectorClock): Update[] {
    const u = this.cur
    return u !== undefined && clock.isNewer(u[2], u[1]) ? [u] : []
  }
}

const a = new Register('a')
const b = new Register('b')
a.set(1)
b.set(2)
const link = connect(a, b)
link.b.once('synced', () => {
  setTimeout(() => {
    console.log(`a=${String(a.get())} b=${String(b.get())} (same winner on both sides)`)
    link()
  }, 10)
})
