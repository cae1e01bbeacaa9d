// The seams of issue 11, checked on the sources themselves: encoders are reached through the
// contract (src/encode/backend.ts) and the registry (src/encode/registry.ts) only, and the writer
// does not ask its frame encoder which kind it is.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The modules of a backend, and what belongs to one alone (h264-mp4-encoder's tap, its WASM loader). */
const BACKEND_MODULES = [
  'encode/h264-mp4-encoder.ts', 'encode/encoder-output-tap.ts', 'encode/wasm-module.ts', 'encode/wasm-import.ts', 'encode/wasm-import.browser.ts',
  'encode/wasm-import.workerd.ts',
  'encode/webcodecs-encoder.ts',
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path.includes(join('encode', 'h264', 'asm')) ? [] : sources(path);
    return /\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative module specifiers a file imports or re-exports (static and dynamic). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)];
  return found.map((m) => m[1] ?? m[2]);
}

function target(file: string, specifier: string): string {
  return relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts');
}

describe('architecture', () => {
  it('sees the imports it checks (the scanner works)', () => {
    expect(imports(join(SRC, 'encode', 'registry.ts')).map((s) => target(join(SRC, 'encode', 'registry.ts'), s))).toEqual(
      expect.arrayContaining(['encode/h264-mp4-encoder.ts', 'encode/webcodecs-encoder.ts']),
    );
  });

  it('no module outside src/encode imports a backend implementation', () => {
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      const rel = relative(SRC, file);
      if (rel.startsWith(`encode${'/'}`)) continue;
      for (const spec of imports(file)) if (BACKEND_MODULES.includes(target(file, spec))) offenders.push(`${rel} → ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it('inside src/encode, only the registry opens a backend (backends share only the contract)', () => {
    const entries = ['encode/h264-mp4-encoder.ts', 'encode/webcodecs-encoder.ts'];
    const offenders: string[] = [];
    for (const file of sources(join(SRC, 'encode'))) {
      const rel = relative(SRC, file);
      if (rel === 'encode/registry.ts') continue;
      for (const spec of imports(file)) if (entries.includes(target(file, spec))) offenders.push(`${rel} → ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it('src/writer.ts has no instanceof on its encoder and no casts to concrete classes', () => {
    const writer = readFileSync(join(SRC, 'writer.ts'), 'utf8');
    const checks = [...writer.matchAll(/instanceof\s+(\w+)/g)].map((m) => m[1]);
    // Only frames (typed arrays) and errors are told apart by class.
    expect(checks.filter((c) => !['Uint8Array', 'Uint8ClampedArray', 'Mp4ForgeError', 'Error'].includes(c))).toEqual([]);
    expect(writer).not.toMatch(/as\s+(ChunkPool|InProcessEncoder|PoolEncoder|H264Mp4Encoder|WebCodecs\w+)/);
    expect(writer).not.toMatch(/pool\/chunk-pool|encode\/registry/);
  });

  it('the CLI uses the public API for what the library does (no internal writer, no casts)', () => {
    for (const file of sources(join(SRC, 'cli'))) {
      const text = readFileSync(file, 'utf8');
      expect(text, relative(SRC, file)).not.toMatch(/WriterImpl|openWriter|renderScene/);
    }
  });
});
