// `mp4forge render --segment K/N`: one segment of a longer render, for mp4forge stitch. Kept
// apart from render.ts because a segment has no audio and its own summary.
import { drawPattern, patterns, type PatternName } from '../../generate/patterns.js';
import type { SceneDraw } from '../../generate/scene.js';
import { renderSegment, segmentRange, type Layout, type Progress } from '../../index.js';
import { resolveVideo } from '../../options.js';
import type { Args } from '../args.js';
import { asUsageError, UsageError, withOutputNote } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { checkOutputTarget, printSummary, summarize, videoOptions, watchOutput, type SessionIo } from '../session.js';

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
    if (args.has(o))
      throw new UsageError(`--${o} cannot be used with --segment: audio is muxed once, when stitching (mp4forge stitch PARTS... --audio FILE)`, command);
  }
  const { k, n } = parseSegmentSpec(args.string('segment') as string, command);
  const out = args.string('out') as string;
  const json = args.flag('json');
  checkOutputTarget(command, out, json, io, 'the segment');
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
    p.scene !== undefined
      ? p.scene
      : p.pattern === 'noise'
        ? (i, rgba, w, h) => patterns.noise(rgba, w, h, i, p.seed)
        : (i, rgba, w, h) => drawPattern(p.pattern, rgba, w, h, i);
  const bar = io.stderr.isTTY ? new ProgressBar(io.stderr, range.end - range.start) : null;
  const started = performance.now();
  const outcome = await watchOutput(out);
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
      ...(args.has('layout') ? { stitchLayout: args.string('layout') as Layout } : {}),
      output: out === '-' ? io.stdout : out,
      signal,
      ...(bar ? { onProgress: (pr: Progress) => bar.update(pr) } : {}),
    });
  } catch (err) {
    throw withOutputNote(asUsageError(err, command), await outcome());
  } finally {
    bar?.clear();
  }
  printSummary(summarize(command, out, result, started, { k, n }), json, io);
}
