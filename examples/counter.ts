// Two offline counters, many increments each, then one reconnect: the
// counts add up and only one update per source crosses the wire.
import { Counter, connect } from '../index'

const likesHere = new Counter('laptop')
const likesThere = new Counter('phone')
for (let i = 0; i < 1000; i++) likesHere.increment()
likesThere.increment(5).decrement(2)

const link = connect(likesHere, likesThere)
link.a.once('synced', () => {
  setImmediate(() => {
    console.log(`laptop sees ${likesHere.value}, phone sees ${likesThere.value}`)
    console.log(`updates sent for 1000 increments: ${link.a.stats.updatesSent}`)
    link()
  })
})
