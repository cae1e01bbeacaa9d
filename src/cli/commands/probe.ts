// `mp4forge probe FILE`: what mp4forge reads from an MP4 (layout, tracks, sample and keyframe
// counts, edit lists) or an MP3 (format, duration, gapless info), chosen by content.
import { open, type FileHandle } from 'node:fs/promises';
import { parseMp3Stream, describeMp3, type Mp3FrameInfo, type Mp3ParseResult } from '../../audio/mp3-parser.js';
import { Mp4ForgeError } from '../../errors.js';
import { describeMp4 } from '../../probe/mp4-describe.js';
import { looksLikeMp4, probeMp4, type RandomAccessSource } from '../../probe/mp4-probe.js';
import { Args, parseArgs, type CommandSpec } from '../args.js';
import { CliError } from '../errors.js';
import type { SessionIo } from '../session.js';

export const probeSpec: CommandSpec = {
  name: 'probe',
  summary: 'Describe an MP4 (layout, tracks, samples, keyframes, edit lists) or an MP3 (format, duration, gapless info). The type is detected from the content, not the file name.',
  usage: 'FILE [--json]',
  options: [{ name: 'json', kind: { type: 'flag' }, help: 'Print the result as one JSON object on stdout.' }],
  positionals: [{ name: 'FILE', help: 'An MP4 or MP3 file.' }],
};

function fileSource(fh: FileHandle, size: number): RandomAccessSource {
  return {
    size,
    async read(position, length) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - position)));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === buf.length ? buf : buf.subarray(0, done);
    },
  };
}

/** Chunks of the whole file, read one at a time (the MP3 parser keeps only frame positions). */
async function* fileChunks(fh: FileHandle, size: number, chunk = 1 << 20): AsyncGenerator<Uint8Array> {
  for (let pos = 0; pos < size; ) {
    const { bytesRead, buffer } = await fh.read(new Uint8Array(Math.min(chunk, size - pos)), 0, Math.min(chunk, size - pos), pos);
    if (bytesRead === 0) break;
    yield buffer.subarray(0, bytesRead);
    pos += bytesRead;
  }
}

/** The MP3 result as JSON: everything but the per-frame list, which only has its count. */
function mp3Json(r: Mp3ParseResult<Mp3FrameInfo>): Record<string, unknown> {
  const { frames, ...rest } = r;
  return { kind: 'mp3', ...rest, frames: frames.length };
}

export async function probeCommand(argv: readonly string[], io: SessionIo): Promise<void> {
  const args = new Args(parseArgs(probeSpec, argv));
  const path = args.positionals[0];
  const json = args.flag('json');
  let fh: FileHandle;
  let size: number;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new Error('it is a directory');
    }
    size = st.size;
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    const source = fileSource(fh, size);
    const head = await source.read(0, 64);
    if (looksLikeMp4(head)) {
      const r = await probeMp4(source);
      io.stdout.write(json ? `${JSON.stringify({ file: path, ...r })}\n` : `${path}: ${describeMp4(r)}\n`);
      return;
    }
    let mp3: Mp3ParseResult<Mp3FrameInfo>;
    try {
      mp3 = await parseMp3Stream(fileChunks(fh, size));
    } catch (err) {
      if (err instanceof Mp4ForgeError && err.code === 'INVALID_MP3') {
        throw new CliError(`${path} is neither an MP4 (no ISO-BMFF box at its start) nor an MP3: ${err.message}`);
      }
      throw err;
    }
    io.stdout.write(json ? `${JSON.stringify({ file: path, ...mp3Json(mp3) })}\n` : `${path}: ${describeMp3(mp3)}\n`);
  } finally {
    await fh.close().catch(() => {});
  }
}
