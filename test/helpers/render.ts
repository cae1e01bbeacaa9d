// Renders test clips through the public API.
import { join } from 'node:path';
import { createMp4Writer, type Mp4WriterOptions, type Mp4WriterResult } from '../../src/index.js';
import { drawPattern, type PatternName } from '../../src/generate/patterns.js';
import { assertValidIsoBmff } from './iso-validate.js';
import { tempDir } from './temp.js';

/** This test file's directory for outputs: removed after its last test. */
export const workDir = tempDir('mp4forge-test-');

export function tmpFile(name: string): string {
  return join(workDir, name);
}

/** Draws `frames` frames of `pattern` and writes them; returns the writer result and the source frames if kept. */
export async function renderClip(
  opts: Omit<Mp4WriterOptions, 'output'> & { output?: Mp4WriterOptions['output'] },
  frames: number,
  pattern: PatternName,
  keep = false,
): Promise<{ result: Mp4WriterResult; sources: Uint8Array[] }> {
  const writer = await createMp4Writer({ output: { buffer: true }, ...opts });
  const rgba = new Uint8Array(opts.width * opts.height * 4);
  const sources: Uint8Array[] = [];
  for (let i = 0; i < frames; i++) {
    drawPattern(pattern, rgba, opts.width, opts.height, i);
    if (keep) sources.push(rgba.slice());
    await writer.addFrame(rgba);
  }
  const result = await writer.finish();
  // Every clip rendered here gets the structural check, whatever the test then does with it.
  if (result.data) assertValidIsoBmff(result.data);
  return { result, sources };
}
