// Messages between the demo page and its render worker.
import type { EncoderChoice, Mp4ProbeResult, PatternName, EncoderId } from 'mp4forge';

export interface RenderRequest {
  type: 'render';
  pattern: PatternName;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  qp: number;
  encoder: EncoderChoice;
  /** Encode workers started by mp4forge (0: encode in the render worker itself). */
  workers: number | 'auto';
  sound: { kind: 'none' } | { kind: 'melody' } | { kind: 'mp3'; bytes: ArrayBuffer; loop: boolean };
}

export type ToWorker = RenderRequest | { type: 'cancel' };

export interface RenderDone {
  type: 'done';
  data: Uint8Array;
  frames: number;
  encoder: EncoderId;
  workers: number | 'auto';
  elapsedSeconds: number;
  probe: Mp4ProbeResult;
}

export type FromWorker =
  | { type: 'progress'; frames: number; total: number; fps: number; bytes: number }
  | RenderDone
  | { type: 'error'; code: string; message: string };
