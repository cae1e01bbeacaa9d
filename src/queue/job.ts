// A render job as it travels through the queue: plain JSON (what renderVideo / renderSegment take,
// with the scene as a module URL or pattern name and files as absolute paths), and its id, a hash
// of that JSON, which makes submitting the same job twice the same job.
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { refuseUnknownKeys } from './connection.js';
import { Mp4ForgeError, type AudioLength, type Layout, type PatternName, type VideoOptions } from './core.js';

/**
 * A video to render on the queue. Every worker must be able to read what it names: the scene
 * module URL, and for the worker that stitches, the MP3 and the directory of `output` (a shared
 * disk or NFS mount). Paths are absolute, since workers do not share the submitter's directory.
 */
export interface RenderJob {
  width: number;
  height: number;
  /** 30, '30000/1001' or `{ num, den }`. */
  fps: number | string | { num: number; den: number };
  /** Frames in the video, counted from 0. */
  frames: number;
  /** A scene module URL (e.g. `file:///shared/scene.js`) exporting `draw(frameIndex, rgba, width, height)`. */
  scene?: string;
  /** A built-in pattern instead of a scene module. */
  pattern?: PatternName;
  /** Encoder settings (qp or kbps, speed, gop, …), as for renderVideo. */
  video?: VideoOptions;
  /** Absolute path of an MP3, muxed in by the stitch. */
  audio?: string;
  audioLength?: AudioLength;
  /** Layout of the final file (default faststart). */
  layout?: Layout;
  /** Absolute path of the final MP4, written by the worker that stitches (atomically: a temporary file, then a rename). */
  output: string;
}

/** Job ids are `mp4f-` + 32 hex digits: safe in Redis keys and file names. */
export const JOB_ID = /^mp4f-[0-9a-f]{32}$/;

const KEYS: readonly (keyof RenderJob)[] = ['width', 'height', 'fps', 'frames', 'scene', 'pattern', 'video', 'audio', 'audioLength', 'layout', 'output'];

/**
 * The job as it is stored: known keys only (an unknown one is refused, so a typo cannot silently
 * change nothing), scene URLs as strings, paths checked to be absolute. Option values themselves are
 * validated by the core (see checkJob in core.ts).
 */
export function normalizeJob(input: unknown): RenderJob {
  if (!input || typeof input !== 'object') throw invalid(`a render job must be an object, got ${JSON.stringify(input)}`);
  const raw = input as Record<string, unknown>;
  refuseUnknownKeys(raw, '', KEYS);
  const job: Record<string, unknown> = {};
  for (const key of KEYS) if (raw[key] !== undefined) job[key] = raw[key];
  if (job.scene instanceof URL) job.scene = job.scene.href;
  if (typeof job.scene === 'function') throw invalid('scene must be a module URL: a function cannot travel to another machine');
  if (job.scene !== undefined && (typeof job.scene !== 'string' || job.scene === '')) {
    throw invalid(`scene must be a module URL string every worker can import (or use pattern), got ${JSON.stringify(job.scene)}`);
  }
  for (const key of ['output', 'audio'] as const) {
    const v = job[key];
    if (v === undefined && key === 'audio') continue;
    if (typeof v !== 'string' || !isAbsolute(v)) {
      throw invalid(`${key} must be an absolute file path that the workers can reach (a shared disk), got ${JSON.stringify(v)}`);
    }
  }
  // Only JSON goes on the queue: a value that does not survive JSON (a typed array, NaN) is refused here.
  const json = JSON.stringify(job);
  if (JSON.stringify(JSON.parse(json)) !== json) throw invalid('a render job must be plain JSON');
  return JSON.parse(json) as RenderJob;
}

/**
 * The job's id: a hash of the job and its split, so that submitting the same job again finds the
 * first one (running or done) instead of rendering it twice.
 */
export function jobId(job: RenderJob, segments: number): string {
  const digest = createHash('sha256').update(canonicalJson({ v: 1, job, segments })).digest('hex');
  return `mp4f-${digest.slice(0, 32)}`;
}

/** The id of segment job k of n of `id`. */
export function segmentJobId(id: string, k: number, n: number): string {
  return `${id}-s${k}of${n}`;
}

/** JSON with object keys sorted, so that equal jobs hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function invalid(message: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', message);
}
