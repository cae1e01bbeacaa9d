/**
 * Stable machine-readable codes carried by every {@link Mp4ForgeError}.
 * New codes may be added; existing ones never change meaning.
 */
export type Mp4ForgeErrorCode =
  | 'INVALID_OPTION' // an option is missing, out of range or of the wrong type
  | 'INVALID_DIMENSIONS' // width/height zero, odd, or too large
  | 'INVALID_FRAME' // a frame buffer of the wrong length, type or shape
  | 'WRITER_CLOSED' // addFrame/addFrames/finish called after finish() (after a failure, calls reject with that failure instead)
  | 'ABORTED' // the AbortSignal fired
  | 'SINK_FAILED' // the output sink (file, stream) failed; `cause` holds the original error
  | 'ENCODER_FAILED' // an encoder backend failed or returned something unexpected
  | 'INVALID_MP3' // the input is not MPEG audio, or is corrupt beyond recovery
  | 'UNSUPPORTED_MP3' // valid MPEG audio that mp4forge does not support (e.g. free format)
  | 'MP3_STREAM_CHANGED' // sample rate or channel count changed mid-stream
  | 'INVALID_MP4' // an MP4 or segment that mp4forge cannot read
  | 'SEGMENT_MISMATCH' // segments encoded differently (encoder, size, fps, encoder settings, SPS/PPS)
  | 'SEGMENT_GAP' // segment frame ranges not contiguous: a gap, an overlap, a duplicate or a wrong order
  | 'WORKER_FAILED' // a worker thread crashed, exited or broke the protocol (a throw in a scene is USER_CALLBACK_FAILED)
  | 'USER_CALLBACK_FAILED' // a user frame callback threw
  | 'UNSUPPORTED_RUNTIME' // a feature that needs something this runtime lacks
  | 'QUEUE_UNAVAILABLE'; // mp4forge/queue: Redis or the S3 store cannot be used, or bullmq/ioredis/@aws-sdk/client-s3 are not installed

/** Extra structured context attached to an error, e.g. the frame index. */
export interface Mp4ForgeErrorDetails {
  frameIndex?: number;
  [key: string]: unknown;
}

/**
 * The one error class mp4forge throws. `code` is stable and meant for programs;
 * `message` names what was wrong and what was expected, for people.
 *
 * @example
 * try { await writer.addFrame(buf); }
 * catch (e) { if (e instanceof Mp4ForgeError && e.code === 'INVALID_FRAME') ... }
 */
export class Mp4ForgeError extends Error {
  readonly code: Mp4ForgeErrorCode;
  readonly details: Mp4ForgeErrorDetails;

  constructor(code: Mp4ForgeErrorCode, message: string, options: { cause?: unknown; details?: Mp4ForgeErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'Mp4ForgeError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `e` is an {@link Mp4ForgeError}, optionally with the given code. */
export function isMp4ForgeError(e: unknown, code?: Mp4ForgeErrorCode): e is Mp4ForgeError {
  return e instanceof Mp4ForgeError && (code === undefined || e.code === code);
}

/** Stable codes of {@link Mp4ForgeWarning}s. New codes may be added; existing ones never change meaning. */
export type Mp4ForgeWarningCode =
  | 'MP3_FRAME_COUNT_MISMATCH' // a cut (or joined) MP3: its LAME padding is not applied
  | 'FRAMES_QUEUED'; // addFrame called again and again without awaiting: frames pile up in memory

/**
 * Something mp4forge worked around without failing: the output was written, but the input was not
 * what it claimed to be. `code` is stable and meant for programs; `message` is for people.
 */
export interface Mp4ForgeWarning {
  code: Mp4ForgeWarningCode;
  message: string;
  details?: Mp4ForgeErrorDetails;
}
