// Builds examples/web (the demo page and the README snippets page) with Vite into a temporary
// directory, from the library's browser entry in dist/ (npm test builds dist first).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workDir } from './render.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function buildWebExamples(): Promise<string> {
  const entry = join(ROOT, 'dist', 'index.browser.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
  const srcTime = statSync(join(ROOT, 'src', 'writer.ts')).mtimeMs;
  if (statSync(entry).mtimeMs < srcTime) console.warn('[mp4forge] dist/index.browser.js is older than src/writer.ts: the browser tests run the last build');
  const outDir = join(workDir, 'web');
  const { build } = await import('vite');
  await build({
    configFile: join(ROOT, 'examples', 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

export function fromBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** RGBA → RGB (alpha dropped), for comparisons with decoded RGB24 frames. */
export function rgbaToRgb(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let s = 0, d = 0; s < rgba.length; s += 4, d += 3) {
    out[d] = rgba[s];
    out[d + 1] = rgba[s + 1];
    out[d + 2] = rgba[s + 2];
  }
  return out;
}
