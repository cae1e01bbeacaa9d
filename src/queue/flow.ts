// The shape of one render on BullMQ: a parent 'stitch' job whose children are the n 'segment'
// jobs. BullMQ moves the parent to the queue only when every child has completed (or, with
// continueParentOnFailure, as soon as one has failed for good, so that the stitch job can clean up
// and fail with the child's error).
import type { FlowJob } from 'bullmq';
import { segmentJobId, type RenderJob } from './job.js';

export const SEGMENT = 'segment';
export const STITCH = 'stitch';

export interface SegmentJobData {
  /** The render's id (the parent job's id). */
  id: string;
  job: RenderJob;
  k: number;
  n: number;
}

export interface StitchJobData {
  id: string;
  job: RenderJob;
  n: number;
  /** Seconds the outcome stays in Redis (status, idempotency). */
  keepSeconds: number;
}

/** Progress a segment job reports (`job.updateProgress`). */
export interface SegmentProgress {
  k: number;
  n: number;
  frames: number;
}

export interface FlowSettings {
  queue: string;
  prefix: string;
  attempts: number;
  backoffMs: number;
  keepSeconds: number;
}

/** The flow for job `id` split into `n` segments. */
export function renderFlow(id: string, job: RenderJob, n: number, s: FlowSettings): FlowJob {
  // Finished jobs leave BullMQ at once: the outcome is kept in mp4forge's own record (records.ts),
  // which expires, so nothing of a render stays in Redis for ever.
  const common = { attempts: s.attempts, backoff: { type: 'exponential', delay: s.backoffMs }, removeOnComplete: true, removeOnFail: true } as const;
  const children = Array.from({ length: n }, (_, i) => {
    const data: SegmentJobData = { id, job, k: i + 1, n };
    return {
      name: SEGMENT,
      queueName: s.queue,
      data,
      opts: { ...common, jobId: segmentJobId(id, i + 1, n), continueParentOnFailure: true },
    };
  });
  const data: StitchJobData = { id, job, n, keepSeconds: s.keepSeconds };
  return { name: STITCH, queueName: s.queue, data, opts: { ...common, jobId: id }, children };
}
