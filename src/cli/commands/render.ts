// `mp4forge render`: draws one of the built-in patterns into an MP4 — a demo, a benchmark, and a
// test-signal generator (bars carry a frame counter any decoder can read back).
import { patterns, type PatternName } from '../../generate/patterns.js';
import { Args, parseArgs, type CommandSpec } from '../args.js';
import { UsageError } from '../errors.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SceneDraw, SceneSpec } from '../../generate/scene.js';
import { renderVideo } from '../../index.js';
import { checkInputFile, OUTPUT_OPTIONS, runOutput, workersOption, type SessionIo } from '../session.js';
import { renderSegmentCommand } from './segment.js';

const PATTERNS: readonly PatternName[] = ['bars', 'noise', 'gradient', 'plasma', 'solid'];

export const renderSpec: CommandSpec = {
  name: 'render',
  summary: 'Render a built-in test pattern to an MP4.',
  usage: '--out FILE [--pattern NAME] [--width W --height H --fps R --frames N] [options]',
  options: [
    { name: 'width', kind: { type: 'int' }, metavar: 'W', help: 'Frame width in pixels (even).', defaultText: '1280' },
    { name: 'height', kind: { type: 'int' }, metavar: 'H', help: 'Frame height in pixels (even).', defaultText: '720' },
    { name: 'fps', kind: { type: 'string' }, metavar: 'R', help: 'Frame rate: 30, or a fraction like 30000/1001.', defaultText: '30' },
    { name: 'frames', kind: { type: 'int', min: 1 }, metavar: 'N', help: 'Number of frames.', defaultText: '300' },
    { name: 'pattern', kind: { type: 'choice', choices: PATTERNS }, metavar: 'NAME', help: 'What to draw.', defaultText: 'bars' },
    { name: 'seed', kind: { type: 'int' }, metavar: 'N', help: 'Random seed for --pattern noise.', defaultText: '0' },
    {
      name: 'segment',
      kind: { type: 'string' },
      metavar: 'K/N',
      help: 'Render only segment K of N (K from 1) of the --frames, as a fragmented segment for mp4forge stitch; audio is added at stitch time.',
    },
    {
      name: 'scene',
      kind: { type: 'string' },
      metavar: 'FILE',
      help: 'An ES module exporting draw(frameIndex, rgba, width, height), drawn inside the workers (instead of --pattern).',
    },
    ...OUTPUT_OPTIONS,
  ],
  epilog:
    'Examples:\n  mp4forge render --pattern plasma --width 1280 --height 720 --fps 30 --frames 300 --out demo.mp4\n' +
    '  mp4forge render --pattern plasma --frames 3000 --segment 2/8 --out part2.m4s   (then: mp4forge stitch part*.m4s --out out.mp4)',
};

export async function renderCommand(argv: readonly string[], io: SessionIo, signal: AbortSignal): Promise<void> {
  const args = new Args(parseArgs(renderSpec, argv));
  const width = args.int('width', 1280);
  const height = args.int('height', 720);
  const frames = args.int('frames', 300);
  const pattern = args.string('pattern', 'bars') as PatternName;
  const seed = args.int('seed', 0);
  if (args.has('seed') && pattern !== 'noise') throw new UsageError(`--seed only applies to --pattern noise, not ${pattern}`, 'render');
  const sceneFile = args.string('scene');
  if (sceneFile !== undefined && (args.has('pattern') || args.has('seed')))
    throw new UsageError('--scene replaces --pattern/--seed: give one of them', 'render');
  if (sceneFile !== undefined) await checkInputFile(sceneFile, '--scene');
  const sceneUrl = sceneFile !== undefined ? pathToFileURL(resolve(sceneFile)).href : undefined;
  if (args.has('segment')) {
    if (args.has('workers'))
      throw new UsageError("--workers cannot be used with --segment: a segment is one process's share; run more segments instead", 'render');
    await renderSegmentCommand(args, io, signal, { width, height, frames, pattern, seed, scene: sceneUrl });
    return;
  }
  // A scene module or a pattern is drawn where it is encoded (inside the workers, with --workers).
  // A non-default noise seed is only known here, so those frames are drawn by a function on this
  // thread (and the workers, if any, only encode).
  const scene: SceneSpec | SceneDraw = sceneUrl ?? (args.has('seed') ? (i, rgba, w, h) => patterns.noise(rgba, w, h, i, seed) : pattern);
  const workers = workersOption('render', args);
  await runOutput('render', args, io, signal, args.string('fps', '30'), frames, (common) =>
    renderVideo({ ...common, width, height, fps: args.string('fps', '30'), frames, scene, workers: workers ?? (sceneUrl !== undefined ? 'auto' : 0) }),
  );
}
