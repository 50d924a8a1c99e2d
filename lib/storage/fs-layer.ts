import * as fs from 'node:fs'
import { join } from 'node:path'
import { GrapevineError } from '../errors/grapevine-error'
import { errnoOf, storageError } from './types'

/**
 * The file-system calls the log store makes, all synchronous so that an
 * append is in the OS before any stream sees the update. Injectable: tests
 * pass a layer that fails with ENOSPC to simulate a full disk.
 */
export interface FsLayer {
  openSync: typeof fs.openSync
  closeSync: typeof fs.closeSync
  writeSync: (fd: number, buf: Uint8Array, off?: number, len?: number, pos?: number | null) => number
  readFileSync: (path: string) => Buffer
  fsyncSync: typeof fs.fsyncSync
  fdatasync: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void
  ftruncateSync: typeof fs.ftruncateSync
  fstatSync: (fd: number) => { size: number }
  renameSync: typeof fs.renameSync
  unlinkSync: typeof fs.unlinkSync
  linkSync: typeof fs.linkSync
  mkdirSync: (path: string, opts: { recursive: true }) => unknown
  existsSync: typeof fs.existsSync
}

/** The real file system. */
export const realFs: FsLayer = {
  openSync: fs.openSync,
  closeSync: fs.closeSync,
  writeSync: (fd, buf, off, len, pos) => fs.writeSync(fd, buf, off, len, pos),
  readFileSync: (p) => fs.readFileSync(p),
  fsyncSync: fs.fsyncSync,
  fdatasync: (fd, cb) => fs.fdatasync(fd, cb),
  ftruncateSync: fs.ftruncateSync,
  fstatSync: (fd) => fs.fstatSync(fd),
  renameSync: fs.renameSync,
  unlinkSync: fs.unlinkSync,
  linkSync: fs.linkSync,
  mkdirSync: (p, o) => fs.mkdirSync(p, o),
  existsSync: fs.existsSync
}

/** Write all of `buf` at the fd's position (a short write is retried; errors throw). */
export function writeAll (f: FsLayer, fd: number, buf: Uint8Array): void {
  let off = 0
  while (off < buf.length) off += f.writeSync(fd, buf, off, buf.length - off, null)
}

/** fsync a directory so a rename or a new file in it survives power loss. */
export function fsyncDir (f: FsLayer, dir: string): void {
  let fd: number | undefined
  try {
    fd = f.openSync(dir, 'r')
    f.fsyncSync(fd)
  } catch (err) {
    // Some platforms (and file systems) cannot fsync a directory: nothing more to do there.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errnoOf(err) ?? '')) throw err
  } finally {
    if (fd !== undefined) f.closeSync(fd)
  }
}

/**
 * Write `buf` to `path` crash-safely: a temp file, fsync, atomic rename,
 * directory fsync. A crash leaves either the old file or the new one.
 */
export function writeFileAtomic (f: FsLayer, dir: string, name: string, buf: Uint8Array): void {
  const tmp = join(dir, `${name}.tmp`)
  const fd = f.openSync(tmp, 'w')
  try {
    writeAll(f, fd, buf)
    f.fsyncSync(fd)
  } catch (err) {
    f.closeSync(fd)
    try { f.unlinkSync(tmp) } catch {}
    throw err
  }
  f.closeSync(fd)
  f.renameSync(tmp, join(dir, name))
  fsyncDir(f, dir)
}

/** Locks held by this process, so a second handle in the same process is refused too. */
const heldHere = new Set<string>()

function alive (pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errnoOf(err) === 'EPERM'
  }
}

/**
 * Take the store's lock: a `LOCK` file holding our pid, created with an
 * atomic `link()`. A lock left by a dead process (after kill -9) is taken
 * over. Throws ERR_STORE_LOCKED if a live process (or this one) holds it.
 * Returns the release function.
 */
export function acquireLock (f: FsLayer, dir: string): () => void {
  const lock = join(dir, 'LOCK')
  if (heldHere.has(lock)) throw new GrapevineError('ERR_STORE_LOCKED', `store ${dir} is already open in this process`, { dir })
  const mine = join(dir, `LOCK.${process.pid}`)
  try {
    const fd = f.openSync(mine, 'w')
    try { writeAll(f, fd, Buffer.from(String(process.pid))) } finally { f.closeSync(fd) }
    for (let attempt = 0; ; attempt++) {
      try {
        f.linkSync(mine, lock)
        break
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST' || attempt > 2) throw lockedOr(err, dir)
        let holder: number
        try {
          holder = Number(f.readFileSync(lock).toString('utf8'))
        } catch (e) {
          if (errnoOf(e) === 'ENOENT') continue // released meanwhile: try again
          throw storageError(e, 'read lock')
        }
        if (Number.isInteger(holder) && holder > 0 && alive(holder)) throw lockedOr(err, dir, holder)
        try { f.unlinkSync(lock) } catch {} // stale: its process is gone
      }
    }
  } finally {
    try { f.unlinkSync(mine) } catch {}
  }
  heldHere.add(lock)
  return () => {
    if (!heldHere.delete(lock)) return
    try { f.unlinkSync(lock) } catch {}
  }
}

function lockedOr (err: unknown, dir: string, holder?: number): GrapevineError {
  if (errnoOf(err) === 'EEXIST') {
    return new GrapevineError('ERR_STORE_LOCKED', `store ${dir} is locked${holder !== undefined ? ` by process ${holder}` : ''}`, { dir, holder })
  }
  return storageError(err, 'lock')
}
