// What every command that writes a file shares: the encoder/layout options, the terminal guard
// for `--out -`, the progress line, and the one summary (human line or --json) at the end.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { audio as generatedAudio } from '../generate/audio.js';
import { parseFrameRate, type VideoOptions } from '../options.js';
import type { Layout } from '../mux/types.js';
import type { AudioSummary, OutputResult, Progress } from '../results.js';
import type { AudioInput } from '../soundtrack.js';
import type { Mp4WriterOptions } from '../writer.js';
import type { Args, OptionSpec } from './args.js';
import { asUsageError, CliError, UsageError, withOutputNote } from './errors.js';
import { ProgressBar } from './progress.js';

/** Options of the output file and the H.264 encoder, common to render and encode. */
export const OUTPUT_OPTIONS: readonly OptionSpec[] = [
  { name: 'out', short: 'o', kind: { type: 'string' }, metavar: 'FILE', help: "Output MP4 file, or '-' for stdout.", required: true },
  {
    name: 'layout',
    kind: { type: 'choice', choices: ['faststart', 'progressive', 'fragmented'] },
    metavar: 'LAYOUT',
    help: 'moov first, moov last, or movie fragments.',
    defaultText: 'faststart',
  },
  { name: 'qp', kind: { type: 'int' }, metavar: 'N', help: 'Constant quantiser, 0 (best) to 51 (smallest); h264-mp4-encoder: 10 to 51.', defaultText: '26' },
  { name: 'kbps', kind: { type: 'number' }, metavar: 'N', help: 'Target bitrate in kbit/s instead of constant --qp.' },
  { name: 'speed', kind: { type: 'int' }, metavar: 'N', help: 'Encoder speed, 0 (best compression) to 10 (fastest).', defaultText: '9' },
  { name: 'gop', kind: { type: 'int' }, metavar: 'N', help: 'Keyframe interval in frames.', defaultText: '2 s of frames' },
  { name: 'audio', short: 'a', kind: { type: 'string' }, metavar: 'FILE', help: 'MP3 soundtrack, muxed as is (no re-encoding).' },
  {
    name: 'audio-length',
    kind: { type: 'choice', choices: ['trim', 'full', 'loop'] },
    metavar: 'MODE',
    help: 'When the --audio MP3 and the video differ in length: cut the audio at the video end, keep all of it, or loop it.',
    defaultText: 'trim',
  },
  { name: 'melody', kind: { type: 'flag' }, help: 'Generated soundtrack: the built-in melody, encoded to MP3 with lamejs.' },
  { name: 'tone', kind: { type: 'number' }, metavar: 'HZ', help: 'Generated soundtrack: a sine tone at HZ, encoded to MP3 with lamejs.' },
  { name: 'audio-kbps', kind: { type: 'int' }, metavar: 'N', help: 'MP3 bitrate for --melody / --tone.', defaultText: '128' },
  {
    name: 'encoder',
    kind: { type: 'choice', choices: ['wasm', 'h264-mp4-encoder', 'webcodecs', 'auto'] },
    metavar: 'NAME',
    help: "H.264 encoder backend ('webcodecs' needs a browser; --json names the one that ran).",
    defaultText: 'wasm',
  },
  {
    name: 'workers',
    kind: { type: 'string' },
    metavar: 'N|auto',
    help: "Encode in N worker threads ('auto': one per core); the output is identical.",
    defaultText: '0 (no workers)',
  },
  { name: 'json', kind: { type: 'flag' }, help: 'Print a one-line JSON summary on stdout at the end.' },
];

/** --workers: 'auto' or a non-negative integer; undefined when absent. */
export function workersOption(command: string, args: Args): number | 'auto' | undefined {
  const w = args.string('workers');
  if (w === undefined) return undefined;
  if (w === 'auto') return 'auto';
  if (!/^\d+$/.test(w)) throw new UsageError(`--workers must be 'auto' or a whole number, got ${JSON.stringify(w)}`, command);
  return Number(w);
}

export interface SessionIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
}

/**
 * What every command that writes a file prints at the end: `--json` prints exactly these fields,
 * the same for render, encode, render --segment and stitch (fields that do not apply are null).
 * `durationSeconds` is seconds of video; `elapsedSeconds` is wall time.
 */
export interface RunSummary {
  command: string;
  /** The output path, or '-' for stdout. */
  output: string;
  /** The layout of the file written ('fragmented' for a segment). */
  layout: Layout;
  frames: number;
  /** The frames written, as absolute indices (a segment's or a stitched range; else 0 … frames). */
  range: { start: number; end: number };
  durationSeconds: number;
  bytes: number;
  /** The H.264 encoder backend that made the frames. */
  videoEncoder: string;
  elapsedSeconds: number;
  /** Frames per second of wall time. */
  fps: number;
  /** The soundtrack as muxed, or null. */
  audio: AudioSummary | null;
  /** render --segment K/N: which segment, else null. */
  segment: { k: number; n: number } | null;
  /** stitch: how many segments were joined, else null. */
  segments: number | null;
  /**
   * encode: bytes at the end of the input that did not make a whole frame and were dropped (0 when
   * the input held whole frames only; the exit status is then 3); null for the other commands.
   */
  droppedBytes: number | null;
}

/** The terminal guard of every command that writes a file: `--out -` needs a pipe, and leaves no room for --json. */
export function checkOutputTarget(command: string, out: string, json: boolean, io: SessionIo, what = 'an MP4'): void {
  if (out !== '-') return;
  if (json) throw new UsageError(`--json cannot be used with --out -: stdout carries ${what}; write to a file to get the JSON summary`, command);
  if (io.stdout.isTTY) throw new UsageError(`refusing to write ${what} to a terminal; redirect stdout (--out - > file) or give --out FILE`, command);
}

/** The summary of a finished result. */
export function summarize(
  command: string,
  output: string,
  result: OutputResult & { range?: { start: number; end: number }; segments?: number; droppedBytes?: number },
  started: number,
  segment: { k: number; n: number } | null = null,
): RunSummary {
  const elapsed = (performance.now() - started) / 1000;
  return {
    command,
    output,
    layout: result.layout,
    frames: result.frames,
    range: result.range ?? { start: 0, end: result.frames },
    durationSeconds: result.durationSeconds,
    bytes: result.bytes,
    videoEncoder: result.videoEncoder,
    elapsedSeconds: round(elapsed, 3),
    fps: round(elapsed > 0 ? result.frames / elapsed : 0, 2),
    audio: result.audio ?? null,
    segment,
    segments: result.segments ?? null,
    droppedBytes: result.droppedBytes ?? null,
  };
}

/** Prints the summary: JSON on stdout with --json, else one human line on stderr. */
export function printSummary(s: RunSummary, json: boolean, io: SessionIo): void {
  printWarnings(s.audio?.warnings, io);
  if (json) {
    io.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const name = s.output === '-' ? 'stdout' : basename(s.output);
  const what = [
    ...(s.segments !== null ? [`${s.segments} segments`] : []),
    ...(s.segment !== null ? [`segment ${s.segment.k}/${s.segment.n}`] : []),
    ...(s.segment !== null || s.segments !== null ? [`frames ${s.range.start}–${s.range.end - 1} (${s.frames} frames)`] : [`${s.frames} frames`]),
    `${s.durationSeconds.toFixed(3)} s of video${s.audio ? ` + ${s.audio.durationSeconds.toFixed(3)} s of MP3 audio` : ''}`,
    `${formatBytes(s.bytes)} (${s.layout})`,
  ];
  io.stderr.write(`mp4forge: wrote ${name}: ${what.join(', ')} in ${s.elapsedSeconds.toFixed(2)} s, ${s.fps.toFixed(1)} fps\n`);
}

/**
 * The soundtrack from --audio FILE, --melody or --tone HZ (one at most). Generated audio lasts as
 * long as the video when the frame count is known, else an hour (the writer trims it at the end).
 */
function soundtrackOption(command: string, args: Args, fps: Mp4WriterOptions['fps'], frames: number | undefined): AudioInput | undefined {
  const file = args.string('audio');
  const tone = args.number('tone');
  const melody = args.flag('melody');
  const chosen = [file !== undefined && '--audio', tone !== undefined && '--tone', melody && '--melody'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot be combined: choose one soundtrack`, command);
  if (chosen.length === 0) {
    for (const o of ['audio-length', 'audio-kbps'])
      if (args.has(o)) throw new UsageError(`--${o} needs a soundtrack (--audio FILE, --melody or --tone HZ)`, command);
    return undefined;
  }
  if (args.has('audio-kbps') && file !== undefined) throw new UsageError('--audio-kbps applies to generated audio; an --audio MP3 is muxed as is', command);
  // Generated audio is made as long as the video (an hour when the frame count is unknown, cut at
  // the end), so no mode has anything to decide: 'full' would keep the whole hour.
  if (args.has('audio-length') && file === undefined)
    throw new UsageError('--audio-length applies to an --audio MP3; generated audio (--melody, --tone) lasts as long as the video', command);
  if (file !== undefined) return file;
  let seconds = 3600;
  if (frames !== undefined) {
    try {
      const { num, den } = parseFrameRate(fps);
      seconds = (frames * den) / num;
    } catch (err) {
      throw asUsageError(err, command);
    }
  }
  if (tone !== undefined) {
    if (!(tone > 0 && tone < 20000)) throw new UsageError(`--tone must be a frequency between 0 and 20000 Hz, got ${tone}`, command);
    return generatedAudio.tone({ frequency: tone, seconds, channels: 2 });
  }
  return generatedAudio.melody({ seconds });
}

/** The writer options every file-writing command shares, from its flags. */
export type CommonWriterOptions = Omit<Mp4WriterOptions, 'width' | 'height' | 'fps' | 'pixelFormat'>;

/**
 * Runs one output from option parsing to summary: builds the options every writer shares (output,
 * layout, encoder, soundtrack, workers, progress bar, signal), runs `make` with them, and prints
 * the summary. Library rejections of the options become usage errors (status 2); on failure the
 * library has already removed a half-written file.
 */
export async function runOutput(
  command: string,
  args: Args,
  io: SessionIo,
  signal: AbortSignal,
  fps: Mp4WriterOptions['fps'],
  total: number | undefined,
  make: (options: CommonWriterOptions) => Promise<OutputResult & { droppedBytes?: number }>,
): Promise<RunSummary> {
  const out = args.string('out') as string;
  const json = args.flag('json');
  checkOutputTarget(command, out, json, io);
  const audio = soundtrackOption(command, args, fps, total);
  if (typeof audio === 'string') await checkInputFile(audio, '--audio');
  const workers = workersOption(command, args);
  const bar = io.stderr.isTTY ? new ProgressBar(io.stderr, total) : null;
  const started = performance.now();
  const outcome = await watchOutput(out);
  let result: OutputResult;
  try {
    result = await make({
      ...(workers !== undefined ? { workers } : {}),
      layout: (args.string('layout') ?? 'faststart') as Layout,
      video: videoOptions(args),
      output: out === '-' ? io.stdout : out,
      ...(audio !== undefined
        ? {
            audio,
            audioLength: args.string('audio-length', 'trim') as NonNullable<Mp4WriterOptions['audioLength']>,
            ...(args.has('audio-kbps') ? { audioEncoding: { kbps: args.int('audio-kbps') } } : {}),
          }
        : {}),
      signal,
      ...(bar ? { onProgress: (p: Progress) => bar.update(p) } : {}),
    });
  } catch (err) {
    throw withOutputNote(asUsageError(err, command), await outcome());
  } finally {
    bar?.clear();
  }
  const summary = summarize(command, out, result, started);
  printSummary(summary, json, io);
  return summary;
}

/** A file the command reads (--audio, --scene): one that is missing or unreadable is a runtime error (status 1), named before any work. */
export async function checkInputFile(path: string, flag: string): Promise<void> {
  const st = await stat(path).catch((err: Error) => {
    throw new CliError(`cannot read ${flag} ${path}: ${err.message}`, { cause: err });
  });
  if (!st.isFile()) throw new CliError(`cannot read ${flag} ${path}: not a file`);
}

/**
 * Notes the output file before a run; the function returned says, after a failure or interrupt,
 * what became of it: left as it was (an existing file is only ever replaced by a complete one),
 * nothing written, or a new file that keeps the complete fragments of a fragmented layout.
 */
export async function watchOutput(out: string): Promise<() => Promise<string | null>> {
  if (out === '-') return async () => null;
  const before = await stat(out).catch(() => null);
  if (before && !before.isFile()) return async () => null;
  return async () => {
    const after = await stat(out).catch(() => null);
    if (!after) return before ? null : `nothing was written to ${out}`;
    if (before && after.dev === before.dev && after.ino === before.ino && after.mtimeMs === before.mtimeMs) return `${out} was left as it was`;
    return `${out} keeps the complete fragments written (${formatBytes(after.size)})`;
  };
}

/** Warnings go to stderr, one line each, whatever else is printed (stdout may carry JSON or the MP4). */
export function printWarnings(warnings: readonly { message: string }[] | undefined, io: SessionIo): void {
  for (const w of warnings ?? []) io.stderr.write(`mp4forge: warning: ${w.message}\n`);
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The encoder options (--qp, --kbps, --speed, --gop, --encoder) shared by render, encode and segments. */
export function videoOptions(args: Args): VideoOptions {
  const video: VideoOptions = {};
  const qp = args.int('qp');
  const kbps = args.number('kbps');
  const speed = args.int('speed');
  const gop = args.int('gop');
  const encoder = args.string('encoder');
  if (qp !== undefined) video.qp = qp;
  if (encoder !== undefined) video.encoder = encoder as VideoOptions['encoder'];
  if (kbps !== undefined) video.kbps = kbps;
  if (speed !== undefined) video.speed = speed;
  if (gop !== undefined) video.gop = gop;
  return video;
}
