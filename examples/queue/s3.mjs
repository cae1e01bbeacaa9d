// mp4forge/queue with its parts in an S3 bucket: a worker and a submitter, in one process here
// (normally on different machines, sharing Redis and the bucket). Needs @aws-sdk/client-s3 beside
// bullmq and ioredis. The S3Client takes its region, credentials and endpoint from AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL (an S3-compatible server) or ~/.aws.
// Run: REDIS_URL=redis://127.0.0.1:6379 BUCKET=my-bucket OUT=/mnt/out.mp4 node s3.mjs
import { S3Client } from '@aws-sdk/client-s3';
import { s3Store, startRenderWorker, submitRender } from 'mp4forge/queue';

const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// S3-compatible servers (MinIO, Ceph, s3rver…) mostly want http://host/bucket/key, not http://bucket.host/key.
const client = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
const store = s3Store({ client, bucket: process.env.BUCKET ?? 'my-bucket', prefix: 'render-parts' });

const worker = await startRenderWorker({ connection, store, onEvent: (e) => console.log('worker:', e.event, e.kind ?? '', e.k ?? '') });
const render = await submitRender(
  { width: 320, height: 180, fps: 30, frames: 150, pattern: 'plasma', output: process.env.OUT ?? '/mnt/out.mp4' },
  { connection, store, segments: 3 },
);
const result = await render.result(); // the parts went through s3://BUCKET/render-parts/ID/, and were removed after the stitch
console.log('wrote', result.output, result.frames, 'frames', result.bytes, 'bytes');
await worker.stop();
