// A data type of your own, written as a reducer: a high-score table that
// keeps each player's best score. Max per key is commutative, associative
// and idempotent, which Reducer.check confirms before we use it.
import { Reducer, connect, type ReducerSpec } from '../index'

type Scores = { best: Array<[player: string, score: number]> }
type Score = { player: string, score: number }

const highScores: ReducerSpec<Scores, Score> = {
  initial: { best: [] },
  reduce (state, { player, score }) {
    const row = state.best.find(([p]) => p === player)
    if (row !== undefined && row[1] >= score) return null // no effect: not replicated
    if (row !== undefined) row[1] = score
    else state.best.push([player, score])
    state.best.sort((x, y) => (x[0] < y[0] ? -1 : 1)) // keep the state canonical
    return { player, score }
  },
  isChange: (c: unknown): c is Score => typeof c === 'object' && c !== null &&
    typeof (c as Score).player === 'string' && typeof (c as Score).score === 'number'
}

Reducer.check(highScores, [{ player: 'ann', score: 3 }, { player: 'ann', score: 9 }, { player: 'bo', score: 4 }])

const here = new Reducer({ id: 'arcade-1', ...highScores })
const there = new Reducer({ id: 'arcade-2', ...highScores })
here.update({ player: 'ann', score: 120 })
there.update({ player: 'ann', score: 90 })
there.update({ player: 'bo', score: 75 })
console.log('ann scores 50 here, applied:', here.update({ player: 'ann', score: 50 }))

const link = connect(here, there)
link.a.once('synced', () => {
  setImmediate(() => {
    console.log('arcade-1:', JSON.stringify(here.state))
    console.log('arcade-2:', JSON.stringify(there.state))
    link()
  })
})
