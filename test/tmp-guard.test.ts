// `npm test` leaves nothing in /tmp: every run has its own TMPDIR (test/helpers/tmp-guard.ts, the
// vitest globalSetup), and the run fails when anything is left in it. This runs the guard itself
// over a test that leaves files behind.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';

const VITEST = 'node_modules/vitest/vitest.mjs';

describe('the temporary-directory guard', () => {
  it('this run has a TMPDIR of its own', () => {
    expect(tmpdir()).toMatch(/\/mp4forge-vitest-[^/]+$/);
  });

  it('fails a run that leaves files behind, names them, and removes them', () => {
    const before = new Set(readdirSync(tmpdir()));
    const r = spawnSync(process.execPath, [VITEST, 'run', '--config', 'test/fixtures/tmp-guard/vitest.config.ts'], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', FORCE_COLOR: '0' },
    });
    const output = r.stdout + r.stderr;
    expect(output).toMatch(/1 passed/); // the test itself passed...
    expect(r.status, output).toBe(1); // ...and the run failed
    expect(output).toMatch(/the tests left 2 file\(s\) in their temporary directory .*mp4forge-vitest-\w+ \(removed now\):\n\s+left-behind\.txt\n\s+mp4forge-test-left/);
    const dir = /temporary directory (\S+mp4forge-vitest-\w+)/.exec(output)?.[1] as string;
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(tmpdir()).filter((f) => !before.has(f))).toEqual([]);
  });
});
