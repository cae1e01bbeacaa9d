// vitest globalSetup: every test run gets a temporary directory of its own (TMPDIR, inherited by
// the test processes and everything they start: the CLI, workers, ffmpeg, Chromium, redis-server),
// and the run fails if anything is left in it at the end. Tests clean up after themselves; this
// is the check that they did (and that mp4forge itself leaves no temporary file behind).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** Everything under `dir`, as paths relative to it (directories and their contents). */
function contents(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      out.push(relative(dir, p));
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** A fresh directory for one run; `finish()` removes it and returns what was left in it. */
export function tempRun(parent = tmpdir()): { dir: string; finish(): string[] } {
  const dir = mkdtempSync(join(parent, 'mp4forge-vitest-'));
  return {
    dir,
    finish() {
      const left = contents(dir);
      rmSync(dir, { recursive: true, force: true });
      return left;
    },
  };
}

export default function setup(): () => void {
  const run = tempRun();
  process.env.TMPDIR = run.dir;
  return () => {
    const left = run.finish();
    if (left.length === 0) return;
    // vitest reports a throw here but still exits 0: the exit status is set explicitly.
    process.exitCode = 1;
    throw new Error(`the tests left ${left.length} file(s) in their temporary directory ${run.dir} (removed now):\n  ${left.slice(0, 40).join('\n  ')}`);
  };
}
