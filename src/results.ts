// What every entry point reports, with the same names and meanings everywhere (createMp4Writer,
// renderVideo, renderSegment, stitchSegments and the CLI's --json): `frames` counts video frames,
// `durationSeconds` is seconds of video (media time), `elapsedSeconds` is wall-clock time.
import type { EncoderId } from './encode/backend.js';
import type { Mp4ForgeWarning } from './errors.js';
import type { Layout } from './mux/types.js';

/** The audio track, when there is one: its played duration (after gapless trimming and `audioLength`). */
export interface AudioSummary {
  durationSeconds: number;
  sampleRate: number;
  channels: number;
  /** MP3 frames in the track. */
  frames: number;
  /** What the MP3 had wrong that did not stop the run (e.g. it was cut short). */
  warnings?: Mp4ForgeWarning[];
}

/** The fields every result has. */
export interface OutputResult {
  /** Video frames in the output. */
  frames: number;
  /** Seconds of video in the output. */
  durationSeconds: number;
  /** Bytes written. */
  bytes: number;
  /** The layout of the output itself ('fragmented' for a segment). */
  layout: Layout;
  /** The H.264 encoder backend that made the frames (see `video.encoder`). */
  videoEncoder: EncoderId;
  audio?: AudioSummary;
  /** The file, when `output` was `{ buffer: true }`. */
  data?: Uint8Array;
  /** The file's path, when `output` was a path. */
  path?: string;
}

/** Progress, after each batch of frames written to the output. */
export interface Progress {
  /** Video frames written to the output so far. */
  frames: number;
  /** Seconds of video written so far. */
  durationSeconds: number;
  /** Bytes written to the output so far. */
  bytes: number;
  /** Wall-clock seconds since the work started. */
  elapsedSeconds: number;
  /** Frames per second of wall time. */
  fps: number;
}
