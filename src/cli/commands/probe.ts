// `mp4forge probe FILE`: what mp4forge reads from an MP4 (layout, tracks, sample and keyframe
// counts, edit lists) or an MP3 (format, duration, gapless info), chosen by content.
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseMp3Stream, describeMp3, type Mp3FrameInfo, type Mp3ParseResult } from '../../audio/mp3-parser.js';
import { Mp4ForgeError } from '../../errors.js';
import { describeMp4 } from '../../probe/mp4-describe.js';
import { looksLikeMp4, probeMp4, type RandomAccessSource } from '../../probe/mp4-probe.js';
import { Args, parseArgs, type CommandSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { ForwardSource } from '../stream-source.js';
import type { SessionIo } from '../session.js';

export const probeSpec: CommandSpec = {
  name: 'probe',
  summary:
    'Describe an MP4 (layout, tracks, samples, keyframes, edit lists) or an MP3 (format, duration, gapless info). The type is detected from the content, not the file name.',
  usage: 'FILE|- [--json]',
  options: [{ name: 'json', kind: { type: 'flag' }, help: 'Print the result as one JSON object on stdout.' }],
  positionals: [{ name: 'FILE', help: "An MP4 or MP3 file; '-' reads stdin (e.g. mp4forge render ... --out - | mp4forge probe -)." }],
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

interface ProbeInput {
  /** For the MP4 reader: random access for files, forward-only for pipes. */
  source: RandomAccessSource;
  /** The whole input from its start, for the MP3 parser. */
  chunks(): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

async function openInput(path: string, stdin: Readable & { isTTY?: boolean }): Promise<ProbeInput> {
  const forward = (stream: Readable, close: () => Promise<void>): ProbeInput => {
    const source = new ForwardSource(stream as AsyncIterable<Uint8Array>);
    return { source, chunks: () => source.chunksFrom(0), close: async () => (stream.destroy(), close()) };
  };
  if (path === '-') {
    if (stdin.isTTY) throw new UsageError('probe - reads stdin, which is a terminal; pipe a file in (… --out - | mp4forge probe -)', 'probe');
    return forward(stdin, async () => {});
  }
  let fh: FileHandle | null = null;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) throw new Error('it is a directory');
    const file = fh;
    const close = () => file.close().catch(() => {});
    if (!st.isFile()) return forward(file.createReadStream({ autoClose: false }), close); // a FIFO or device
    return { source: fileSource(file, st.size), chunks: () => fileChunks(file, st.size), close };
  } catch (err) {
    await fh?.close().catch(() => {});
    throw new CliError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export async function probeCommand(argv: readonly string[], io: SessionIo & { stdin: Readable & { isTTY?: boolean } }): Promise<void> {
  const args = new Args(parseArgs(probeSpec, argv));
  const path = args.positionals[0];
  const json = args.flag('json');
  const name = path === '-' ? 'stdin' : path;
  const input = await openInput(path, io.stdin);
  try {
    const head = await input.source.read(0, 64);
    if (looksLikeMp4(head)) {
      const r = await probeMp4(input.source);
      io.stdout.write(json ? `${JSON.stringify({ file: path, ...r })}\n` : `${name}: ${describeMp4(r)}\n`);
      return;
    }
    let mp3: Mp3ParseResult<Mp3FrameInfo>;
    try {
      mp3 = await parseMp3Stream(input.chunks());
    } catch (err) {
      if (err instanceof Mp4ForgeError && err.code === 'INVALID_MP3') {
        throw new CliError(`${name} is neither an MP4 (no ISO-BMFF box at its start) nor an MP3: ${err.message}`);
      }
      throw err;
    }
    io.stdout.write(json ? `${JSON.stringify({ file: path, ...mp3Json(mp3) })}\n` : `${name}: ${describeMp3(mp3)}\n`);
  } finally {
    await input.close();
  }
}
