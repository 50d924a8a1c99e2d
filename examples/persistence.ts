// A Model that survives a restart: on the append-only log, then on LevelDB.
// Run: npm run build && node dist/examples/persistence.js
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelStorage, LogStorage, Model, connect, persist } from '../index'
import type { Storage } from '../index'

async function restartDemo (name: string, open: () => Promise<Storage>): Promise<void> {
  // First run: load (nothing yet), then write. Every accepted update is stored.
  const doc = new Model('laptop')
  const store = await persist(doc, await open())
  doc.set('title', 'Grocery list').set('milk', 2).set('eggs', 12)
  await store.flush() // durable under the store's fsync policy
  await store.close()
  doc.dispose()

  // "Restart": a fresh replica with the same id loads the state, then replicates.
  const again = new Model('laptop')
  const store2 = await persist(again, await open())
  console.log(`${name}: reopened ${store2.loaded} updates ->`, JSON.stringify(again.toJSON()))

  // Only what the peer lacks goes over the wire.
  const phone = new Model('phone')
  phone.set('bread', 1)
  const link = connect(again, phone)
  await new Promise<void>((resolve) => link.a.once('synced', () => resolve()))
  console.log(`${name}: sent ${link.a.stats.updatesSent}, received ${link.a.stats.updatesReceived}; phone has`, JSON.stringify(phone.toJSON()))
  link()
  await link.closed
  await store2.close()
}

async function main (): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'grapevine-example-'))
  try {
    await restartDemo('log', () => LogStorage.open(join(root, 'log'), { fsync: { intervalMs: 50 } }))
    await restartDemo('leveldb', () => LevelStorage.open(join(root, 'level')))
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
