/** What a mesh peer puts in its stream header's `meta`. */
export interface MeshMeta {
  /** Mesh metadata version. */
  readonly mesh: 1
  /** The address this peer can be dialed at, or null (dial-only). */
  readonly addr: string | null
  /** Addresses of this peer's live peers (gossip). */
  readonly peers: readonly string[]
}

/** Most gossiped addresses read from one header (bounds what a peer can make us dial). */
export const MAX_GOSSIP = 256

/** Type guard for a peer's `meta` (peer input: checked field by field). */
export function isMeshMeta (v: unknown): v is MeshMeta {
  if (typeof v !== 'object' || v === null) return false
  const m = v as Record<string, unknown>
  if (m.mesh !== 1) return false
  if (m.addr !== null && (typeof m.addr !== 'string' || m.addr.length > 1024)) return false
  const p = m.peers
  return Array.isArray(p) && p.length <= MAX_GOSSIP && p.every((x) => typeof x === 'string' && x.length <= 1024)
}
