// mp4forge/queue from code: a worker and a submitter, in one process here (normally on different
// machines, sharing Redis and a disk). Run: REDIS_URL=redis://127.0.0.1:6379 SHARED_DIR=/mnt/shared node library.mjs
import { directoryStore, startRenderWorker, submitRender } from 'mp4forge/queue';

const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const shared = process.env.SHARED_DIR ?? '/mnt/shared'; // a directory every worker can reach
const store = directoryStore(`${shared}/parts`);

const worker = await startRenderWorker({ connection, store, onEvent: (e) => console.log('worker:', e.event, e.kind ?? '', e.k ?? '') });
const render = await submitRender(
  { width: 320, height: 180, fps: 30, frames: 150, pattern: 'plasma', output: `${shared}/out.mp4` },
  { connection, store, segments: 3, onProgress: (p) => console.log(`${p.framesDone}/${p.frames} frames, ${p.segmentsDone}/${p.segments} segments`) },
);
console.log('job', render.id, render.status); // 'queued', or 'done' when this very job already ran
const result = await render.result(); // rejects with the failure's Mp4ForgeError (code, message)
console.log('wrote', result.output, result.frames, 'frames', result.bytes, 'bytes');
await worker.stop();
