// `mp4forge stitch PART... --out FILE`: joins segments from `render --segment` (rendered anywhere)
// into one MP4 without re-encoding, adding the soundtrack.
import { stat } from 'node:fs/promises';
import { stitchSegments, type AudioLength, type Layout, type Progress } from '../../index.js';
import { Args, parseArgs, type CommandSpec } from '../args.js';
import { asUsageError, CliError, UsageError, withOutputNote } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { checkInputFile, checkOutputTarget, OUTPUT_OPTIONS, printSummary, summarize, watchOutput, type SessionIo } from '../session.js';

const SHARED = new Set(['out', 'layout', 'audio', 'audio-length', 'json']);

export const stitchSpec: CommandSpec = {
  name: 'stitch',
  summary:
    'Join segments made by render --segment into one MP4, without re-encoding. Checks that they fit (same size, frame rate, encoder settings and SPS/PPS; contiguous frames, in order) and muxes an MP3 soundtrack in.',
  usage: 'PART... --out FILE [--audio FILE] [--layout LAYOUT] [options]',
  options: OUTPUT_OPTIONS.filter((o) => SHARED.has(o.name)).map((o) =>
    o.name === 'layout' ? { ...o, defaultText: 'as recorded in the segments, else faststart' } : o,
  ),
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
  checkOutputTarget('stitch', out, json, io);
  if (args.has('audio-length') && !args.has('audio')) throw new UsageError('--audio-length needs --audio FILE', 'stitch');
  // Unreadable parts are a runtime failure (status 1), named before anything is written.
  for (const [i, part] of parts.entries()) {
    const st = await stat(part).catch((err: Error) => {
      throw new CliError(`cannot read segment ${i + 1} of ${parts.length} (${part}): ${err.message}`, { cause: err });
    });
    if (!st.isFile()) throw new CliError(`segment ${i + 1} of ${parts.length} (${part}) is not a file`);
  }
  if (args.has('audio')) await checkInputFile(args.string('audio') as string, '--audio');
  const bar = io.stderr.isTTY ? new ProgressBar(io.stderr, undefined) : null;
  const started = performance.now();
  const outcome = await watchOutput(out);
  let result;
  try {
    result = await stitchSegments(parts, {
      output: out === '-' ? io.stdout : out,
      ...(args.has('layout') ? { layout: args.string('layout') as Layout } : {}),
      ...(args.has('audio') ? { audio: args.string('audio') as string, audioLength: args.string('audio-length', 'trim') as AudioLength } : {}),
      signal,
      ...(bar ? { onProgress: (p: Progress) => bar.update(p) } : {}),
    });
  } catch (err) {
    throw withOutputNote(asUsageError(err, 'stitch'), await outcome());
  } finally {
    bar?.clear();
  }
  printSummary(summarize('stitch', out, result, started), json, io);
}
