// `mp4forge stitch PART... --out FILE`: joins segments from `render --segment` (rendered anywhere)
// into one MP4 without re-encoding, adding the soundtrack.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Layout } from '../../mux/types.js';
import type { AudioLength } from '../../soundtrack.js';
import { stitchSegments } from '../../segments.js';
import { Args, parseArgs, type CommandSpec } from '../args.js';
import { asUsageError, CliError, UsageError } from '../errors.js';
import { formatBytes, OUTPUT_OPTIONS, printWarnings, type SessionIo } from '../session.js';

const SHARED = new Set(['out', 'layout', 'audio', 'audio-length', 'json']);

export const stitchSpec: CommandSpec = {
  name: 'stitch',
  summary:
    'Join segments made by render --segment into one MP4, without re-encoding. Checks that they fit (same size, frame rate, encoder settings and SPS/PPS; contiguous frames, in order) and muxes an MP3 soundtrack in.',
  usage: 'PART... --out FILE [--audio FILE] [--layout LAYOUT] [options]',
  options: OUTPUT_OPTIONS.filter((o) => SHARED.has(o.name)).map((o) => (o.name === 'layout' ? { ...o, defaultText: 'as recorded in the segments, else faststart' } : o)),
  positionals: [{ name: 'PART...', help: 'Segment files, in frame order (e.g. part1.m4s part2.m4s ...).', variadic: true }],
  epilog:
    'Example:\n  for k in 1 2 3 4; do mp4forge render --pattern plasma --frames 1200 --segment $k/4 --out part$k.m4s; done\n' +
    '  mp4forge stitch part1.m4s part2.m4s part3.m4s part4.m4s --audio song.mp3 --out out.mp4',
};

export async function stitchCommand(argv: readonly string[], io: SessionIo, signal: AbortSignal): Promise<void> {
  const args = new Args(parseArgs(stitchSpec, argv));
  const parts = args.positionals;
  const out = args.string('out') as string;
  const json = args.flag('json');
  if (parts.includes('-')) throw new UsageError("stitch reads segment files; '-' (stdin) is not supported as a PART", 'stitch');
  if (out === '-') {
    if (json) throw new UsageError('--json cannot be used with --out -: stdout carries the MP4; write to a file to get the JSON summary', 'stitch');
    if (io.stdout.isTTY) throw new UsageError('refusing to write an MP4 to a terminal; redirect stdout (--out - > file.mp4) or give --out FILE', 'stitch');
  }
  if (args.has('audio-length') && !args.has('audio')) throw new UsageError('--audio-length needs --audio FILE', 'stitch');
  // Unreadable parts are a runtime failure (status 1), named before anything is written.
  for (const [i, part] of parts.entries()) {
    const st = await stat(part).catch((err: Error) => {
      throw new CliError(`cannot read segment ${i + 1} of ${parts.length} (${part}): ${err.message}`, { cause: err });
    });
    if (!st.isFile()) throw new CliError(`segment ${i + 1} of ${parts.length} (${part}) is not a file`);
  }
  const started = performance.now();
  let result;
  try {
    result = await stitchSegments(parts, {
      output: out === '-' ? io.stdout : out,
      ...(args.has('layout') ? { layout: args.string('layout') as Layout } : {}),
      ...(args.has('audio') ? { audio: args.string('audio') as string, audioLength: args.string('audio-length', 'trim') as AudioLength } : {}),
      signal,
    });
  } catch (err) {
    throw asUsageError(err, 'stitch');
  }
  const seconds = (performance.now() - started) / 1000;
  const { data: _data, ...rest } = result;
  const summary = { ...rest, seconds: Math.round(seconds * 1000) / 1000, output: out };
  printWarnings(result.audio?.warnings, io);
  if (json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const name = out === '-' ? 'stdout' : basename(out);
  const audio = result.audio ? ` + ${result.audio.durationSeconds.toFixed(3)} s of MP3 audio` : '';
  io.stderr.write(
    `mp4forge: wrote ${name}: ${result.segments} segments, frames ${result.range.start}–${result.range.end - 1} (${result.frames} frames), ${result.durationSeconds.toFixed(3)} s of video${audio}, ${formatBytes(result.bytes)} (${result.layout}) in ${seconds.toFixed(2)} s\n`,
  );
}
