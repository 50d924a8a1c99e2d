import { Bucket, Model } from '../../index'
import type { BucketStream, Disconnect } from '../../index'

/** connect() types its streams as replica streams; these are bucket streams. */
export function bucketPair (d: Disconnect): Disconnect & { a: BucketStream, b: BucketStream } {
  return d as Disconnect & { a: BucketStream, b: BucketStream }
}

/** Two buckets `a` and `b`, each holding a Model named "doc". */
export function docBuckets (): { a: Bucket, b: Bucket, ma: Model, mb: Model } {
  const a = new Bucket('a')
  const b = new Bucket('b')
  const ma = new Model('ma')
  const mb = new Model('mb')
  a.add('doc', ma)
  b.add('doc', mb)
  return { a, b, ma, mb }
}
