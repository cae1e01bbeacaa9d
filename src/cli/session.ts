// What `render` and `encode` share: the encoder/layout options, opening the output (a file or
// stdout), the progress line, and the summary at the end.
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { audio as generatedAudio } from '../generate/audio.js';
import { parseFrameRate, type VideoOptions } from '../options.js';
import type { AudioInput } from '../soundtrack.js';
import { createMp4Writer, openWriter, type Mp4Writer, type Mp4WriterOptions } from '../writer.js';
import type { Args, OptionSpec } from './args.js';
import { asUsageError, UsageError } from './errors.js';
import { ProgressBar } from './progress.js';

/** Options of the output file and the H.264 encoder, common to render and encode. */
export const OUTPUT_OPTIONS: readonly OptionSpec[] = [
  { name: 'out', short: 'o', kind: { type: 'string' }, metavar: 'FILE', help: "Output MP4 file, or '-' for stdout.", required: true },
  { name: 'layout', kind: { type: 'choice', choices: ['faststart', 'progressive', 'fragmented'] }, metavar: 'LAYOUT', help: 'moov first, moov last, or movie fragments.', defaultText: 'faststart' },
  { name: 'qp', kind: { type: 'int' }, metavar: 'N', help: 'Constant quantiser, 10 (best) to 51 (smallest).', defaultText: '26' },
  { name: 'kbps', kind: { type: 'number' }, metavar: 'N', help: 'Target bitrate in kbit/s instead of constant --qp.' },
  { name: 'speed', kind: { type: 'int' }, metavar: 'N', help: 'Encoder speed, 0 (best compression) to 10 (fastest, ~1.9× speed 6).', defaultText: '6' },
  { name: 'gop', kind: { type: 'int' }, metavar: 'N', help: 'Keyframe interval in frames.', defaultText: '2 s of frames' },
  { name: 'audio', short: 'a', kind: { type: 'string' }, metavar: 'FILE', help: 'MP3 soundtrack, muxed as is (no re-encoding).' },
  {
    name: 'audio-length',
    kind: { type: 'choice', choices: ['trim', 'full', 'loop'] },
    metavar: 'MODE',
    help: 'When the MP3 and the video differ in length: cut the audio at the video end, keep all of it, or loop it.',
    defaultText: 'trim',
  },
  { name: 'melody', kind: { type: 'flag' }, help: 'Generated soundtrack: the built-in melody, encoded to MP3 with lamejs.' },
  { name: 'tone', kind: { type: 'number' }, metavar: 'HZ', help: 'Generated soundtrack: a sine tone at HZ, encoded to MP3 with lamejs.' },
  { name: 'audio-kbps', kind: { type: 'int' }, metavar: 'N', help: 'MP3 bitrate for --melody / --tone.', defaultText: '128' },
  { name: 'workers', kind: { type: 'string' }, metavar: 'N|auto', help: "Encode in N worker threads ('auto': one per core); the output is identical.", defaultText: '0 (no workers)' },
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

/** Summary printed at the end (`--json` prints exactly these fields). */
export interface RunSummary {
  frames: number;
  durationSeconds: number;
  bytes: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** Frames per second of wall time. */
  fps: number;
  /** The output path, or '-' for stdout. */
  output: string;
  layout: string;
  /** The soundtrack as muxed, with --audio (and what was wrong with the MP3, e.g. cut short). */
  audio?: { durationSeconds: number; sampleRate: number; channels: number; frames: number; warnings?: { code: string; message: string }[] };
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
    for (const o of ['audio-length', 'audio-kbps']) if (args.has(o)) throw new UsageError(`--${o} needs a soundtrack (--audio FILE, --melody or --tone HZ)`, command);
    return undefined;
  }
  if (args.has('audio-kbps') && file !== undefined) throw new UsageError('--audio-kbps applies to generated audio; an --audio MP3 is muxed as is', command);
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

/**
 * Runs one writer from option parsing to summary: validates the options (library rejections
 * become usage errors), opens the output, feeds frames through `produce`, and on any failure
 * aborts the writer so a half-written file is removed.
 */
export async function runWriter(
  command: string,
  args: Args,
  io: SessionIo,
  signal: AbortSignal,
  base: Pick<Mp4WriterOptions, 'width' | 'height' | 'fps' | 'pixelFormat'>,
  total: number | undefined,
  produce: (writer: Mp4Writer) => Promise<void>,
  /** A scene (module URL or pattern name) the workers draw themselves: see renderVideo. */
  scene?: string,
): Promise<RunSummary> {
  const out = args.string('out') as string;
  const json = args.flag('json');
  const layout = (args.string('layout') ?? 'faststart') as NonNullable<Mp4WriterOptions['layout']>;
  if (out === '-') {
    if (json) throw new UsageError("--json cannot be used with --out -: stdout carries the MP4; write to a file to get the JSON summary", command);
    if (io.stdout.isTTY) throw new UsageError('refusing to write an MP4 to a terminal; redirect stdout (--out - > file.mp4) or give --out FILE', command);
  }
  const audio = soundtrackOption(command, args, base.fps, total);
  const video = videoOptions(args);

  const workers = workersOption(command, args);
  const bar = io.stderr.isTTY ? new ProgressBar(io.stderr, total) : null;
  const started = performance.now();
  let writer: Mp4Writer;
  try {
    writer = await (scene === undefined ? createMp4Writer : (o: Mp4WriterOptions) => openWriter(o, scene))({
      ...base,
      ...(workers !== undefined ? { workers } : {}),
      layout,
      video,
      output: out === '-' ? io.stdout : out,
      ...(audio !== undefined
        ? {
            audio,
            audioLength: args.string('audio-length', 'trim') as NonNullable<Mp4WriterOptions['audioLength']>,
            ...(args.has('audio-kbps') ? { audioEncoding: { kbps: args.int('audio-kbps') } } : {}),
          }
        : {}),
      signal,
      ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
    });
  } catch (err) {
    throw asUsageError(err, command);
  }
  try {
    await produce(writer);
    const result = await writer.finish();
    bar?.clear();
    const seconds = (performance.now() - started) / 1000;
    return {
      frames: result.frames,
      durationSeconds: result.durationSeconds,
      bytes: result.bytes,
      seconds: round(seconds, 3),
      fps: round(seconds > 0 ? result.frames / seconds : 0, 2),
      output: out,
      layout,
      ...(result.audio ? { audio: result.audio } : {}),
    };
  } catch (err) {
    bar?.clear();
    await writer.abort(err).catch(() => {});
    throw err;
  }
}

/** Prints the summary: JSON on stdout with --json, else one human line on stderr. */
export function printSummary(s: RunSummary, json: boolean, io: SessionIo): void {
  printWarnings(s.audio?.warnings, io);
  if (json) {
    io.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const name = s.output === '-' ? 'stdout' : basename(s.output);
  const audio = s.audio ? ` + ${s.audio.durationSeconds.toFixed(3)} s of MP3 audio` : '';
  io.stderr.write(
    `mp4forge: wrote ${name}: ${s.frames} frames, ${s.durationSeconds.toFixed(3)} s of video${audio}, ${formatBytes(s.bytes)} (${s.layout}) in ${s.seconds.toFixed(2)} s, ${s.fps.toFixed(1)} fps\n`,
  );
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

/** Lets signal handlers run during long stretches of synchronous encoding (WASM work between awaits is all microtasks). */
export function makeYielder(everyMs = 50): () => Promise<void> {
  let last = performance.now();
  return async () => {
    const t = performance.now();
    if (t - last < everyMs) return;
    last = t;
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
}

/** The encoder options (--qp, --kbps, --speed, --gop) shared by render, encode and segments. */
export function videoOptions(args: Args): VideoOptions {
  const video: VideoOptions = {};
  const qp = args.int('qp');
  const kbps = args.number('kbps');
  const speed = args.int('speed');
  const gop = args.int('gop');
  if (qp !== undefined) video.qp = qp;
  if (kbps !== undefined) video.kbps = kbps;
  if (speed !== undefined) video.speed = speed;
  if (gop !== undefined) video.gop = gop;
  return video;
}
