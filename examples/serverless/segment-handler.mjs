// A serverless fan-out of one mp4forge render, written as AWS Lambda handlers (Node.js runtime,
// ES module). Any platform that runs a function per event works the same way: Google Cloud Run
// jobs, Azure Functions, a BullMQ/SQS worker, or plain child processes.
//
//   1. A coordinator sends n events { k, n, ...job } (k = 1..n), e.g. one SQS message each or a
//      Step Functions Map state. Every invocation renders segment k of n with `handler`: it needs
//      nothing but the job description, since the split is recomputed from (frames, k, n, gop).
//   2. When all n have finished, one more invocation runs `stitchHandler` on the parts, in order.
//
// Segments are returned base64-encoded in the response, which suits small jobs (Lambda caps
// responses at 6 MB). With SEGMENT_BUCKET set they go to S3 instead and only the key comes back.
// The S3 branch needs @aws-sdk/client-s3 (bundled in the Lambda Node runtime) and is not run by
// mp4forge's tests, which have no network: they call these handlers the way the platform would.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSegment, stitchSegments } from 'mp4forge';

/** A signal that fires shortly before the platform would kill the invocation. */
function deadline(context, marginMs = 2000) {
  const left = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  return left === undefined ? undefined : AbortSignal.timeout(Math.max(1, left - marginMs));
}

async function s3() {
  const { S3Client, PutObjectCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
  return { client: new S3Client({}), PutObjectCommand, GetObjectCommand };
}

/**
 * Renders segment `k` of `n`.
 * event: { job, k, n, frames, width, height, fps, scene?, video? } — `scene` is a built-in pattern
 * name or a module URL deployed with the function (e.g. new URL('./scene.mjs', import.meta.url)).
 */
export const handler = async (event, context) => {
  const job = typeof event.body === 'string' ? JSON.parse(event.body) : event;
  const { k, n, frames, width, height, fps, scene = 'bars', video = {} } = job;
  // /tmp is the only writable place in Lambda; the segment goes to a file, not to memory.
  const file = join(tmpdir(), `${job.job ?? 'job'}-part${k}-of-${n}.m4s`);
  try {
    const seg = await renderSegment({ width, height, fps, scene, video, frames, segment: { k, n }, output: file, signal: deadline(context) });
    const key = `${job.job ?? 'job'}/part${String(k).padStart(5, '0')}.m4s`;
    const body = await readFile(file);
    if (process.env.SEGMENT_BUCKET) {
      const { client, PutObjectCommand } = await s3();
      await client.send(new PutObjectCommand({ Bucket: process.env.SEGMENT_BUCKET, Key: key, Body: body }));
      return { k, n, range: seg.range, bytes: seg.bytes, key };
    }
    return { k, n, range: seg.range, bytes: seg.bytes, key, base64: body.toString('base64') };
  } finally {
    await rm(file, { force: true });
  }
};

/**
 * Stitches the parts into one MP4 (no re-encoding) and adds the soundtrack.
 * event: { job, parts: [response of handler, in k order], layout?, audioBase64? | audioKey? }
 */
export const stitchHandler = async (event, context) => {
  const signal = deadline(context);
  const useS3 = !!process.env.SEGMENT_BUCKET;
  const store = useS3 ? await s3() : null;
  const fetchObject = async (key) => {
    const r = await store.client.send(new store.GetObjectCommand({ Bucket: process.env.SEGMENT_BUCKET, Key: key }));
    return r.Body.transformToWebStream(); // read as it is stitched: memory stays bounded
  };
  const parts = [...event.parts].sort((a, b) => a.k - b.k);
  const inputs = await Promise.all(parts.map((p) => (useS3 ? fetchObject(p.key) : Buffer.from(p.base64, 'base64'))));
  let audio;
  if (event.audioBase64) audio = Buffer.from(event.audioBase64, 'base64');
  else if (event.audioKey && useS3) audio = await fetchObject(event.audioKey);
  const out = join(tmpdir(), `${event.job ?? 'job'}.mp4`);
  try {
    const result = await stitchSegments(inputs, { output: out, layout: event.layout ?? 'faststart', ...(audio ? { audio } : {}), signal });
    const body = await readFile(out);
    const key = `${event.job ?? 'job'}/out.mp4`;
    if (useS3) {
      await store.client.send(new store.PutObjectCommand({ Bucket: process.env.SEGMENT_BUCKET, Key: key, Body: body, ContentType: 'video/mp4' }));
      return { ...result, key };
    }
    return { ...result, key, base64: body.toString('base64') };
  } finally {
    await rm(out, { force: true });
  }
};
