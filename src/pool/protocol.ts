// Messages between the main thread and an encode worker. Plain data plus transferred buffers, so
// the same protocol works over worker_threads and browser Web Workers.
import type { AvcConfig } from '../encode/avc.js';
import type { BackendInfo, EncoderParams } from '../encode/backend.js';

/** Main → worker. */
export type ToWorker =
  /**
   * Open the encoder (and load the scene, for renders); the worker answers `ready`. `backend`
   * names the backend the main thread resolved: the worker opens exactly that one, and refuses
   * a version other than its own.
   */
  | { type: 'init'; backend: BackendInfo; params: EncoderParams; chunkFrames: number; scene: string | null }
  /** Render mode: draw, convert and encode frames [start, start+count) as chunk `chunk`. */
  | { type: 'render'; chunk: number; start: number; count: number }
  /** Frame mode: a chunk starts; `frame` messages follow, then `end`. */
  | { type: 'begin'; chunk: number }
  /** Frame mode: one I420 frame (its buffer transferred; it comes back with the coded output). */
  | { type: 'frame'; chunk: number; yuv: Uint8Array }
  | { type: 'end'; chunk: number };

/** One coded picture as it crosses threads. */
export interface WireFrame {
  data: Uint8Array;
  keyframe: boolean;
}

/** A failure inside the worker, flattened for structured clone. */
export interface WireError {
  code: string;
  message: string;
  /** Set when user code (the scene) threw while drawing this frame. */
  frameIndex?: number;
  user: boolean;
}

/** Worker → main. */
export type FromWorker =
  | { type: 'ready'; config: AvcConfig }
  /** Coded frames of `chunk`, in order; `yuv` returns a frame-mode input buffer for reuse. */
  | { type: 'coded'; chunk: number; frames: WireFrame[]; yuv?: Uint8Array }
  /** The chunk is complete: `frames` frames in total were sent for it. */
  | { type: 'done'; chunk: number; frames: number }
  | { type: 'error'; error: WireError };
