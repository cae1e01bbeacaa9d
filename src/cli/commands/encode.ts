// `mp4forge encode`: raw frames from stdin or a file → MP4, reading its input the way
// `ffmpeg -f rawvideo -pix_fmt F -s WxH -i -` does, so any program that can write bytes
// (`python gen.py | mp4forge encode ...`) can make a video.
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { bytesPerFrame, type PixelFormat } from '../../encode/convert.js';
import { Args, parseArgs, type CommandSpec } from '../args.js';
import { asUsageError, CliError, InputEndedMidFrame, UsageError } from '../errors.js';
import { readRawFrames, type RawFramesRead } from '../../raw-frames.js';
import { createMp4Writer } from '../../index.js';
import { refuseOutputOverInputs } from '../../platform/io.js';
import { OUTPUT_OPTIONS, runOutput, type SessionIo } from '../session.js';

const PIXEL_FORMATS: readonly PixelFormat[] = ['rgba', 'bgra', 'rgb24', 'yuv420p'];

export const encodeSpec: CommandSpec = {
  name: 'encode',
  summary: 'Encode raw video frames from stdin (or --input FILE) to an MP4.',
  usage: '--width W --height H [--pix-fmt FMT] [--fps R] [--input FILE] --out FILE [options]',
  options: [
    { name: 'width', kind: { type: 'int' }, metavar: 'W', help: 'Frame width in pixels (even).', required: true },
    { name: 'height', kind: { type: 'int' }, metavar: 'H', help: 'Frame height in pixels (even).', required: true },
    { name: 'pix-fmt', kind: { type: 'choice', choices: PIXEL_FORMATS }, metavar: 'FMT', help: 'Layout of the input bytes.', defaultText: 'rgba' },
    { name: 'fps', kind: { type: 'string' }, metavar: 'R', help: 'Frame rate: 30, or a fraction like 30000/1001.', defaultText: '30' },
    { name: 'input', short: 'i', kind: { type: 'string' }, metavar: 'FILE', help: "Raw frames file; '-' or absent reads stdin." },
    ...OUTPUT_OPTIONS,
  ],
  epilog: [
    'Frames are back to back, no headers: rgba/bgra 4 bytes per pixel, rgb24 3, yuv420p planar',
    'I420 (W×H luma, then W/2×H/2 U and V). An input that ends inside a frame still gives a file of',
    'the whole frames; the bytes dropped are reported, and the exit status is 3.', '', 'Example:',
    '  python gen.py | mp4forge encode --width 640 --height 480 --pix-fmt rgb24 --fps 30 --out out.mp4',
  ].join('\n'),
};

/** What encode reads besides its arguments: stdin as a stream, or its descriptor when it is the process's own (read as a pipe when it is one). */
export type EncodeIo = SessionIo & { readonly stdin: Readable & { isTTY?: boolean }; stdinFd?: number };

export async function encodeCommand(argv: readonly string[], io: EncodeIo, signal: AbortSignal): Promise<void> {
  const args = new Args(parseArgs(encodeSpec, argv));
  const width = args.int('width') as number;
  const height = args.int('height') as number;
  const pixelFormat = args.string('pix-fmt', 'rgba') as PixelFormat;
  const inputPath = args.string('input', '-');

  let frameSize: number;
  try {
    frameSize = bytesPerFrame(pixelFormat, width, height);
  } catch (err) {
    throw asUsageError(err, 'encode');
  }
  let handle: FileHandle | null = null;
  let total: number | undefined; // set for a regular file only
  const out = args.string('out') as string;
  if (inputPath !== '-' && out !== '-') {
    try {
      await refuseOutputOverInputs(out, [{ what: 'input', path: inputPath }]);
    } catch (err) {
      throw asUsageError(err, 'encode');
    }
  }
  if (inputPath === '-') {
    if (io.stdinFd !== undefined ? isatty(io.stdinFd) : io.stdin.isTTY) {
      throw new UsageError('no input: stdin is a terminal; pipe raw frames in (python gen.py | mp4forge encode ...) or give --input FILE', 'encode');
    }
  } else {
    try {
      handle = await open(inputPath, 'r');
      const st = await handle.stat();
      if (st.isFile()) total = Math.floor(st.size / frameSize);
    } catch (err) {
      await handle?.close().catch(() => {});
      throw new CliError(`cannot read --input ${inputPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  const frameName = `${width}×${height} ${pixelFormat} frame`;
  try {
    const summary = await runOutput('encode', args, io, signal, args.string('fps', '30'), total, async (common) => {
      const writer = await createMp4Writer({ ...common, width, height, fps: args.string('fps', '30'), pixelFormat });
      // stdin's descriptor: a pipe is read on a thread of its own, a redirected file in chunks.
      // --input: a regular file by its descriptor (left open for our handle to close); anything
      // else as a stream from our handle (a pipe reader would close the descriptor under it).
      // Interrupting also stops a read that waits for a quiet producer.
      const source = handle ? (total !== undefined ? handle.fd : handle.createReadStream({ autoClose: false })) : (io.stdinFd ?? io.stdin);
      const frames = readRawFrames(source, frameSize, { signal });
      let result: IteratorResult<Uint8Array, RawFramesRead>;
      let read: RawFramesRead = { frames: 0, bytes: 0, leftover: 0 };
      try {
        while (!(result = await frames.next()).done) await writer.addFrame(result.value);
        read = result.value;
        if (read.frames === 0) {
          throw new CliError(
            read.leftover > 0
              ? `the input ended after ${read.leftover} bytes, less than one ${frameName} (${frameSize} bytes): nothing to encode`
              : `the input was empty: no ${frameName} (${frameSize} bytes) was read`,
          );
        }
      } catch (err) {
        // After Ctrl-C the writer saw the signal too: finish() reports ABORTED.
        if (!signal.aborted) {
          await writer.abort(err).catch(() => {});
          throw err;
        }
      } finally {
        // On an early exit this stops the input (its stream, or the pipe's thread), so an open stdin cannot keep the process alive.
        await frames.return({ frames: 0, bytes: 0, leftover: 0 }).catch(() => {});
      }
      // An input cut inside a frame (a producer that died) still gives a file of its whole frames.
      return { ...(await writer.finish()), droppedBytes: read.leftover };
    });
    if (summary.droppedBytes) {
      const where = out === '-' ? 'the MP4 written to stdout' : `${out} (${summary.layout})`;
      const n = summary.frames;
      const whole = `${n} whole ${frameName}${n === 1 ? '' : 's'} (${frameSize} bytes each)`;
      throw new InputEndedMidFrame(
        `the input ended inside a frame: after ${whole} came ${summary.droppedBytes} more bytes; ` +
          `kept the ${n} whole frame${n === 1 ? '' : 's'} in ${where} and dropped those ${summary.droppedBytes} bytes`,
      );
    }
  } finally {
    await handle?.close().catch(() => {});
  }
}
