// A byte-identity guard over checked-in SHA-256 hashes (test/output-hashes, test/encoder-hashes).
// `MP4FORGE_UPDATE_HASHES=1` rewrites the fixture from this run instead of comparing with it.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Loads the hashes in `fixture` (a JSON object, key → hex) and returns `check(key, hash)`, which
 * fails when the hash differs from the fixture's, or from an earlier check of the same key in this
 * run (two ways of making the same output). Under `MP4FORGE_UPDATE_HASHES=1` it compares nothing
 * with the fixture and writes this run's hashes to it when the file's tests are done.
 */
export function hashGuard(fixture: URL): (key: string, hash: string) => void {
  const file = fileURLToPath(fixture);
  const update = process.env.MP4FORGE_UPDATE_HASHES === '1';
  const expected: Record<string, string> = update ? {} : (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>);
  const actual: Record<string, string> = {};
  afterAll(() => {
    if (update) writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
  });
  return (key, hash) => {
    if (actual[key] !== undefined) expect(hash, `${key} differs between two ways of making it`).toBe(actual[key]);
    actual[key] = hash;
    if (!update) expect(hash, `${key}: the bytes changed`).toBe(expected[key]);
  };
}
