// grapevine/scuttlebucket: `var Scuttlebucket = require('grapevine/scuttlebucket')`,
// scuttlebucket's API on grapevine's Bucket. See docs/compat.md.
import { Bucket, type BucketMember, type BucketOptions } from '../bucket/bucket'
import { callable } from './callable'
import { adoptId } from './scuttlebutt/legacy'

/** Give `member` the id `id`; a bucket passes it on to everything it holds. */
function shareId (member: BucketMember, id: string): void {
  adoptId(member, id)
  if (member instanceof Bucket) for (const [, m] of member.entries()) shareId(m, id)
}

/**
 * grapevine's Bucket with scuttlebucket's API: callable without `new`,
 * parts (and nested buckets, all the way down) take the bucket's id when
 * added, `setId` renames the bucket and its parts, `toJSON` gives
 * `{name: part.toJSON()}`. The wire protocol is grapevine-bucket/1, not
 * scuttlebucket's (see docs/compat.md).
 */
class Scuttlebucket extends Bucket {
  constructor (id?: string | BucketOptions | null) {
    super(id ?? {})
  }

  /** Hold `part` under `name`; it takes this bucket's id, as in scuttlebucket. */
  override add (name: string, part: BucketMember): this {
    this.checkAdd(name, part)
    shareId(part, this.id)
    return super.add(name, part)
  }

  /** Rename this bucket and every part it holds. */
  setId (id: string): this {
    shareId(this, id)
    return this
  }
}

const ScuttlebucketCompat = callable(Scuttlebucket, { oldStyleSubclasses: true })
export = ScuttlebucketCompat
