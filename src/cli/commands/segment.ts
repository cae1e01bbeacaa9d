// `mp4forge render --segment K/N`: one segment of a longer render, for mp4forge stitch. Kept
// apart from render.ts because a segment has no audio and its own summary.
import { basename } from 'node:path';
import { drawPattern, patterns, type PatternName } from '../../generate/patterns.js';
import type { SceneDraw } from '../../generate/scene.js';
import { resolveVideo } from '../../options.js';
import { segmentRange } from '../../segment-range.js';
import { renderSegment } from '../../segments.js';
import type { Layout } from '../../mux/types.js';
import type { Args } from '../args.js';
import { asUsageError, UsageError } from '../errors.js';
import { formatBytes, videoOptions, type SessionIo } from '../session.js';

/** Parses `K/N` (K counted from 1). */
export function parseSegmentSpec(text: string, command: string): { k: number; n: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--segment expects K/N, e.g. 2/8 (segment 2 of 8), got '${text}'`, command);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n) throw new UsageError(`--segment ${text}: K must be from 1 to N (segments are counted from 1)`, command);
  return { k, n };
}

export async function renderSegmentCommand(
  args: Args,
  io: SessionIo,
  signal: AbortSignal,
  p: { width: number; height: number; frames: number; pattern: PatternName; seed: number; scene?: string },
): Promise<void> {
  const command = 'render';
  for (const o of ['audio', 'melody', 'tone', 'audio-length', 'audio-kbps']) {
    if (args.has(o)) throw new UsageError(`--${o} cannot be used with --segment: audio is muxed once, when stitching (mp4forge stitch PARTS... --audio FILE)`, command);
  }
  const { k, n } = parseSegmentSpec(args.string('segment') as string, command);
  const out = args.string('out') as string;
  const json = args.flag('json');
  if (out === '-') {
    if (json) throw new UsageError('--json cannot be used with --out -: stdout carries the segment; write to a file to get the JSON summary', command);
    if (io.stdout.isTTY) throw new UsageError('refusing to write a segment to a terminal; redirect stdout or give --out FILE', command);
  }
  const fps = args.string('fps', '30');
  const video = videoOptions(args);
  let range;
  try {
    const { gop } = resolveVideo(p.width, p.height, fps, video);
    range = segmentRange(p.frames, k, n, gop);
  } catch (err) {
    throw asUsageError(err, command);
  }
  const scene: SceneDraw | string =
    p.scene !== undefined ? p.scene : p.pattern === 'noise' ? (i, rgba, w, h) => patterns.noise(rgba, w, h, i, p.seed) : (i, rgba, w, h) => drawPattern(p.pattern, rgba, w, h, i);
  const started = performance.now();
  let result;
  try {
    result = await renderSegment({
      width: p.width,
      height: p.height,
      fps,
      scene,
      video,
      range,
      frames: p.frames,
      ...(args.has('layout') ? { layout: args.string('layout') as Layout } : {}),
      output: out === '-' ? io.stdout : out,
      signal,
    });
  } catch (err) {
    throw asUsageError(err, command);
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    segment: { k, n, start: range.start, end: range.end },
    frames: result.frames,
    bytes: result.bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    fps: Math.round((seconds > 0 ? result.frames / seconds : 0) * 100) / 100,
    output: out,
  };
  if (json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const name = out === '-' ? 'stdout' : basename(out);
  io.stderr.write(
    `mp4forge: wrote ${name}: segment ${k}/${n}, frames ${range.start}–${range.end - 1} (${result.frames} frames), ${formatBytes(result.bytes)} in ${seconds.toFixed(2)} s, ${summary.fps.toFixed(1)} fps\n`,
  );
}
