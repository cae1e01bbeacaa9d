// The queue's one door into the core: every call into renderSegment / stitchSegments / loadScene
// and every import of the core's types goes through this file, so that a change of the core's API
// (issue 11: result shapes, explicit outputs, one validation entry point) is adapted here alone.
// The build (tsup.config.ts) turns the import below into an import of the package itself
// ('mp4forge'), so `mp4forge/queue` shares the core — and its Mp4ForgeError class — with the main
// entry instead of bundling a second copy.
import {
  loadScene, Mp4ForgeError, renderSegment, stitchSegments, type AudioSummary, type NodeWritableLike, type RenderSegmentOptions, type SceneDraw,
} from '../index.node.js';
import type { RenderJob } from './job.js';

export { Mp4ForgeError, isMp4ForgeError } from '../index.node.js';
export type { AudioLength, AudioSummary, FrameRate, Layout, Mp4ForgeErrorCode, NodeWritableLike, PatternName, VideoOptions } from '../index.node.js';

/** What a segment job produced. */
export interface PartSummary {
  start: number;
  end: number;
  frames: number;
  bytes: number;
}

/** What the stitch produced: the final file. */
export interface StitchSummary {
  frames: number;
  segments: number;
  durationSeconds: number;
  bytes: number;
  layout: 'faststart' | 'progressive' | 'fragmented';
  /** As the core's AudioSummary: `warnings` when the MP3 was not what it claimed to be (e.g. a cut file). */
  audio?: AudioSummary;
}

const ALREADY_ABORTED = AbortSignal.abort(new Error('validation only'));

/**
 * Checks a job the way the workers will see it, without rendering: the core validates every option
 * before it starts any work and then refuses an aborted signal, so a dry run with a signal that is
 * already aborted reports either the first invalid option or ABORTED (all valid). Segment `n` of
 * `n` is the one whose range proves that `n` is not larger than the number of encoder chunks.
 */
export async function checkJob(job: RenderJob, n: number): Promise<void> {
  const expectAborted = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      if (err instanceof Mp4ForgeError && err.code === 'ABORTED') return;
      throw err;
    }
    throw new Error('internal: a dry run with an aborted signal completed');
  };
  await expectAborted(() => renderSegment({ ...segmentOptions(job), segment: { k: n, n }, output: { buffer: true }, signal: ALREADY_ABORTED }));
  await expectAborted(() => stitchSegments([new Uint8Array(0)], { ...stitchOptions(job), output: { buffer: true }, signal: ALREADY_ABORTED }));
}

/**
 * Renders segment `k` of `n` of the job into `output` (a file path or a Node writable), calling
 * `onFrame` with the number of frames drawn so far after each frame.
 */
export async function renderPart(
  job: RenderJob,
  k: number,
  n: number,
  output: string | NodeWritableLike,
  signal: AbortSignal,
  onFrame: (framesDone: number) => void,
): Promise<PartSummary> {
  const draw = await loadScene(job.scene ?? job.pattern ?? '');
  let done = 0;
  const counted: SceneDraw = async (i, rgba, width, height) => {
    await draw(i, rgba, width, height);
    onFrame(++done);
  };
  const { scene: _scene, pattern: _pattern, ...rest } = segmentOptions(job);
  const r = await renderSegment({ ...rest, scene: counted, segment: { k, n }, output, signal });
  return { start: r.range.start, end: r.range.end, frames: r.frames, bytes: r.bytes };
}

/** Stitches the parts (paths or byte streams, in frame order) into `output` with the job's soundtrack. */
export async function stitchParts(
  parts: readonly (string | AsyncIterable<Uint8Array>)[],
  job: RenderJob,
  output: string,
  signal: AbortSignal,
): Promise<StitchSummary> {
  const r = await stitchSegments(parts, { ...stitchOptions(job), output, signal });
  return {
    frames: r.frames,
    segments: r.segments,
    durationSeconds: r.durationSeconds,
    bytes: r.bytes,
    layout: r.layout,
    ...(r.audio ? { audio: r.audio } : {}),
  };
}

function segmentOptions(job: RenderJob): Omit<RenderSegmentOptions, 'range' | 'segment' | 'output' | 'signal'> {
  return {
    width: job.width,
    height: job.height,
    fps: job.fps,
    frames: job.frames,
    ...(job.scene !== undefined ? { scene: job.scene } : {}),
    ...(job.pattern !== undefined ? { pattern: job.pattern } : {}),
    ...(job.video !== undefined ? { video: job.video } : {}),
    ...(job.layout !== undefined ? { stitchLayout: job.layout } : {}),
  };
}

function stitchOptions(job: RenderJob) {
  return {
    ...(job.layout !== undefined ? { layout: job.layout } : {}),
    ...(job.audio !== undefined ? { audio: job.audio, audioLength: job.audioLength ?? 'trim' } : {}),
  };
}
