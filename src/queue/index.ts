/**
 * mp4forge/queue (Node only): distributed rendering on BullMQ and Redis. A render is one BullMQ
 * flow — n segment jobs rendered by any worker into a shared segment store, then one stitch job —
 * so a video can use as many machines as run `startRenderWorker` (or `mp4forge queue worker`).
 * Needs the optional peer dependencies `bullmq` and `ioredis`; `s3Store` also `@aws-sdk/client-s3`.
 * @packageDocumentation
 */
export { submitRender } from './submit.js';
export type { SubmitRenderOptions, RenderHandle, RenderProgress } from './submit.js';
export { startRenderWorker } from './worker.js';
export type { RenderWorker, RenderWorkerOptions, WorkerEvent } from './worker.js';
export { getRenderStatus } from './status.js';
export type { RenderStatus } from './status.js';
export { directoryStore } from './store.js';
export type { SegmentStore, PartWriter } from './store.js';
export { s3Store } from './s3-store.js';
export type { S3StoreOptions, S3ClientLike } from './s3-store.js';
export type { RenderJob } from './job.js';
export type { RenderResult } from './records.js';
export type { QueueLocation, RedisConnection, RedisConnectionOptions } from './connection.js';
export { Mp4ForgeError, isMp4ForgeError } from './core.js';
