// `mp4forge encode`: raw frames from stdin or a file → MP4, reading its input the way
// `ffmpeg -f rawvideo -pix_fmt F -s WxH -i -` does, so any program that can write bytes
// (`python gen.py | mp4forge encode ...`) can make a video.
import { open, type FileHandle } from 'node:fs/promises';
import { addAbortSignal, type Readable } from 'node:stream';
import { bytesPerFrame, type PixelFormat } from '../../encode/convert.js';
import { Args, parseArgs, type CommandSpec } from '../args.js';
import { asUsageError, CliError, UsageError } from '../errors.js';
import { readFrames } from '../frame-reader.js';
import { createMp4Writer } from '../../index.js';
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
    'I420 (W×H luma, then W/2×H/2 U and V). The input must hold a whole number of frames.', '', 'Example:',
    '  python gen.py | mp4forge encode --width 640 --height 480 --pix-fmt rgb24 --fps 30 --out out.mp4',
  ].join('\n'),
};

/** Input chunk size for files: a whole number of frames, so nearly every frame is a zero-copy view. */
function fileChunkSize(frameSize: number): number {
  const target = 4 * 1024 * 1024;
  return frameSize >= target ? frameSize : frameSize * Math.floor(target / frameSize);
}

export async function encodeCommand(argv: readonly string[], io: SessionIo & { stdin: Readable & { isTTY?: boolean } }, signal: AbortSignal): Promise<void> {
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
  let total: number | undefined;
  if (inputPath === '-') {
    if (io.stdin.isTTY) {
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

  try {
    await runOutput('encode', args, io, signal, args.string('fps', '30'), total, async (common) => {
      const writer = await createMp4Writer({ ...common, width, height, fps: args.string('fps', '30'), pixelFormat });
      const input: Readable = handle ? handle.createReadStream({ highWaterMark: fileChunkSize(frameSize), autoClose: false }) : io.stdin;
      // Interrupting must also stop a read that is waiting for a producer that went quiet.
      addAbortSignal(signal, input);
      const frames = readFrames(input as AsyncIterable<Uint8Array>, frameSize, `${width}×${height} ${pixelFormat} frame`);
      let result: IteratorResult<Uint8Array, { frames: number; bytes: number }>;
      try {
        while (!(result = await frames.next()).done) await writer.addFrame(result.value);
        if (result.value.frames === 0) {
          throw new CliError(`the input was empty: no ${width}×${height} ${pixelFormat} frame (${frameSize} bytes) was read`);
        }
      } catch (err) {
        // After Ctrl-C the writer saw the signal too: finish() reports ABORTED.
        if (!signal.aborted) {
          await writer.abort(err).catch(() => {});
          throw err;
        }
      } finally {
        // On an early exit this destroys the input stream, so an open stdin cannot keep the process alive.
        await frames.return({ frames: 0, bytes: 0 }).catch(() => {});
      }
      return writer.finish();
    });
  } finally {
    await handle?.close().catch(() => {});
  }
}
