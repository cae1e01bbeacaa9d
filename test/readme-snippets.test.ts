// The README's code snippets are the files the tests run: every block marked
// <!-- snippet: path --> must equal that file, byte for byte (trailing newline aside).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/web-build.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)\n```\n<!-- \/snippet -->/g)].map((m) => ({ path: m[1], code: m[2] }));

describe('README snippets', () => {
  it('has the browser and worker snippets', () => {
    expect(blocks.map((b) => b.path)).toEqual(expect.arrayContaining(['examples/web/snippets/browser.ts', 'examples/web/snippets/worker.ts']));
  });
  it.each(blocks.map((b) => [b.path, b.code]))('%s matches the file', (path, code) => {
    expect(code).toBe(readFileSync(join(ROOT, path), 'utf8').trimEnd());
  });
});
