// Module hooks that let a worker thread run mp4forge straight from its TypeScript sources (tests
// under vitest import src/, where there is no compiled encode-worker.js). vitest.config.ts names
// this file in MP4FORGE_WORKER_HOOKS, which src/pool/node-transport.ts reads; dist never uses it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    // Sources import siblings as './x.js' (the compiled name); fall back to './x.ts'.
    if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) return next(`${specifier.slice(0, -3)}.ts`, context);
    throw err;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, 'utf8'), { loader: 'ts', format: 'esm', target: 'node18', sourcefile: path, sourcemap: 'inline' });
  return { format: 'module', source: code, shortCircuit: true };
}
