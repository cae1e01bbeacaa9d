// Temporary directories for test files: made in the run's TMPDIR (see tmp-guard.ts) and removed
// when the test file is done.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A fresh directory, removed after the test file's last test. Call it at the top level of a test
 * file (or a helper it imports). Its name is fixed now, but it is made in beforeAll: a run that
 * filters out every test of the file (-t) runs none of its hooks, and would leave it behind.
 */
export function tempDir(prefix: string): string {
  const dir = join(tmpdir(), `${prefix}${process.pid}-${randomBytes(6).toString('hex')}`);
  beforeAll(() => mkdirSync(dir));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
