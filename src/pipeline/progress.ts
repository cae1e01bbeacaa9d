// The `onProgress` option, the same for every entry point: called after each batch of frames
// written, with the counts of the mux session. A throw in it is the caller's, reported as
// USER_CALLBACK_FAILED.
import { Mp4ForgeError } from '../errors.js';
import type { Progress } from '../results.js';
import type { MuxSession } from './mux-session.js';

export class ProgressReporter {
  private readonly started = performance.now();
  private last = -1;

  constructor(private readonly callback: ((p: Progress) => void) | undefined) {}

  /** Reports when frames were written since the last report. */
  report(session: MuxSession): void {
    const cb = this.callback;
    if (!cb || session.frames === this.last) return;
    this.last = session.frames;
    const elapsedSeconds = (performance.now() - this.started) / 1000;
    try {
      cb({
        frames: session.frames,
        durationSeconds: session.durationSeconds,
        bytes: session.bytes,
        elapsedSeconds,
        fps: elapsedSeconds > 0 ? session.frames / elapsedSeconds : 0,
      });
    } catch (err) {
      throw userCallbackError('onProgress', session.frames - 1, err);
    }
  }
}

/** One wording for every throw in user code: `<what> threw at frame N: <message>`. */
export function userCallbackError(what: string, frameIndex: number, err: unknown): Mp4ForgeError {
  return new Mp4ForgeError('USER_CALLBACK_FAILED', `${what} threw at frame ${frameIndex}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    details: { frameIndex },
  });
}
