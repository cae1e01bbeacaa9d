// Every fenced code block of README.md, run as a reader would run it: in a fresh project whose
// node_modules/mp4forge links to this checkout (so `import … from 'mp4forge'` and `npx mp4forge`
// resolve through package.json "exports" and "bin" to the built dist/, as after an install).
//
// A block is run here (js as .mjs, or .cjs when it uses require; ts transpiled by TypeScript;
// sh with bash), or it carries HTML comments right above its fence saying what else it is:
//   <!-- not run: reason -->                 output, a synopsis, a listing, or what cannot run here
//   <!-- run by: test/x.test.ts [→ file …] --> with <!-- include: file -->: a verbatim copy of a
//                                            file (test/packaging.test.ts checks that) which that
//                                            test runs, reaching it through the files listed
//   <!-- file: name -->                      written into the project for the blocks below
//   <!-- output of the block above … -->     JSON printed by the block above: same keys and types
// Anything else fails the first test. Every MP4 a block writes must be readable by ffprobe.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegSync, ffprobe } from './helpers/oracles.js';
import { tempDir } from './helpers/temp.js';

const ROOT = resolve('.');
const README = 'README.md';
/** The reader's project: package.json, node_modules/mp4forge → this checkout, and what the blocks need. */
const APP = join(tempDir('mp4forge-readme-'), 'app');
/** A block that has not exited after this long fails (the whole file should take well under a minute). */
const BLOCK_TIMEOUT_MS = 90_000;

type Marker =
  | { kind: 'not run'; reason: string }
  | { kind: 'run by'; chain: string[] }
  | { kind: 'include'; file: string }
  | { kind: 'file'; name: string }
  | { kind: 'output' }
  | { kind: 'unknown'; text: string };

interface Block {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  lang: string;
  /** The block's text, its fence's indentation removed. */
  code: string;
  markers: Marker[];
}

type Plan =
  | { kind: 'run'; runner: 'mjs' | 'cjs' | 'ts' | 'sh' }
  | { kind: 'elsewhere'; chain: string[]; file: string }
  | { kind: 'file'; name: string }
  | { kind: 'output' }
  | { kind: 'skip'; reason: string }
  | { kind: 'invalid'; problem: string };

function parseMarker(text: string): Marker {
  const m = /^(not run|run by|include|file):\s*(.+)$/.exec(text);
  if (m?.[1] === 'not run') return { kind: 'not run', reason: m[2] };
  if (m?.[1] === 'run by') return { kind: 'run by', chain: m[2].split('→').map((s) => s.trim()) };
  if (m?.[1] === 'include') return { kind: 'include', file: m[2].trim() };
  if (m?.[1] === 'file') return { kind: 'file', name: m[2].trim() };
  if (/^output of the block above\b/.test(text)) return { kind: 'output' };
  return { kind: 'unknown', text };
}

/** The fenced blocks of a Markdown text (indented ones too, as inside list items), with the HTML comments right above each. */
function parseBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    let end = i + 1;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    if (end === lines.length) throw new Error(`${README}:${i + 1}: the fence is never closed`);
    const code = lines.slice(i + 1, end).map((l) => (l.startsWith(' '.repeat(indent)) ? l.slice(indent) : l));
    const markers: Marker[] = [];
    for (let k = i - 1; k >= 0; k--) {
      const comment = /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(lines[k]);
      if (!comment) break;
      markers.unshift(parseMarker(comment[1]));
    }
    blocks.push({ line: i + 1, lang: open[2], code: code.join('\n') + '\n', markers });
    i = end;
  }
  return blocks;
}

/** What the test does with a block, or why the block is neither run nor properly marked. */
function plan(block: Block, previous: Plan | undefined): Plan {
  const [first, second, ...rest] = block.markers;
  if (first?.kind === 'unknown') return { kind: 'invalid', problem: `unknown marker <!-- ${first.text} -->` };
  if (first === undefined) {
    if (block.lang === 'js') return { kind: 'run', runner: /\brequire\(/.test(block.code) && !/^import\b/m.test(block.code) ? 'cjs' : 'mjs' };
    if (block.lang === 'ts' || block.lang === 'sh') return { kind: 'run', runner: block.lang };
    return { kind: 'invalid', problem: `a \`${block.lang || 'plain'}\` block is neither run nor marked (<!-- not run: why --> above its fence)` };
  }
  if (first.kind === 'run by' && second?.kind === 'include' && rest.length === 0) return { kind: 'elsewhere', chain: first.chain, file: second.file };
  if (second !== undefined) return { kind: 'invalid', problem: 'several markers: only <!-- run by: … --> then <!-- include: … --> go together' };
  switch (first.kind) {
    case 'not run':
      return { kind: 'skip', reason: first.reason };
    case 'file':
      return block.lang === 'js' ? { kind: 'file', name: first.name } : { kind: 'invalid', problem: '<!-- file: … --> is for js blocks' };
    case 'output':
      if (block.lang !== 'json') return { kind: 'invalid', problem: '<!-- output of the block above --> is for json blocks' };
      return previous?.kind === 'run' ? { kind: 'output' } : { kind: 'invalid', problem: 'the block above an output sample is not run' };
    case 'include':
      return { kind: 'invalid', problem: `<!-- include: ${first.file} --> needs <!-- run by: test/… --> above it, naming the test that runs the file` };
    case 'run by':
      return { kind: 'invalid', problem: '<!-- run by: … --> must be followed by <!-- include: file -->' };
  }
}

const BLOCKS = parseBlocks(readFileSync(README, 'utf8'));
const PLANS: Plan[] = [];
for (const [i, block] of BLOCKS.entries()) PLANS.push(plan(block, PLANS[i - 1]));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the reader's project; kills it after BLOCK_TIMEOUT_MS. npm may not go to the network for `npx`. */
function runInApp(cmd: string, args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', NO_COLOR: '1' };
    const child = spawn(cmd, args, { cwd: APP, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The MP4s (and segments) in the project, with their size and modification time. */
function outputs(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(APP)) {
    if (!['.mp4', '.m4s'].includes(extname(name))) continue;
    const st = statSync(join(APP, name));
    out.set(name, `${st.size}:${st.mtimeMs}`);
  }
  return out;
}

/** Writes the block as a file of the project and runs it as the reader would. */
async function runBlock(block: Block, runner: 'mjs' | 'cjs' | 'ts' | 'sh'): Promise<Run> {
  const stem = `readme-${block.line}`;
  if (runner === 'sh') {
    writeFileSync(join(APP, `${stem}.sh`), block.code);
    return runInApp('bash', ['-e', '-o', 'pipefail', `${stem}.sh`]);
  }
  let code = block.code;
  if (runner === 'ts') {
    const out = ts.transpileModule(code, {
      fileName: `${stem}.ts`,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const errors = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    if (errors.length > 0) throw new Error(`${README}:${block.line} does not transpile: ${errors.join('; ')}`);
    code = out.outputText;
  }
  const file = `${stem}.${runner === 'cjs' ? 'cjs' : 'mjs'}`;
  writeFileSync(join(APP, file), code);
  return runInApp(process.execPath, [file]);
}

/** Keys and value types of a JSON value (numbers and strings as their type, so that a sample's figures may differ). */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

/** A file `from` names `to` by its base name (a test its example, a page its script, a script its worker). */
function mentions(from: string, to: string): boolean {
  return readFileSync(from, 'utf8').includes(basename(to));
}

// The reader's project, shared by both describes below.
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/index.js')) || !existsSync(join(ROOT, 'dist/cli.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
  }
  // What `npm install /path/to/mp4forge` makes: a link to the clone, and the bin beside the others.
  mkdirSync(join(APP, 'node_modules/.bin'), { recursive: true });
  symlinkSync(ROOT, join(APP, 'node_modules/mp4forge'), 'dir');
  symlinkSync('../mp4forge/dist/cli.js', join(APP, 'node_modules/.bin/mp4forge'));
  writeFileSync(join(APP, 'package.json'), '{ "name": "readme-app", "private": true, "type": "module" }\n');
  // The MP3 the examples name: 4 s of a 440 Hz sine.
  ffmpegSync(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=4', '-c:a', 'libmp3lame', '-b:a', '128k', join(APP, 'song.mp3')]);
});

describe(`${README}: every code block runs as printed`, () => {
  it('the project resolves mp4forge to this checkout: import → dist/index.js, npx mp4forge → dist/cli.js', async () => {
    const resolved = spawnSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('mp4forge'))"], { cwd: APP, encoding: 'utf8' });
    expect(resolved.stderr).toBe('');
    expect(realpathSync(new URL(resolved.stdout.trim()))).toBe(join(ROOT, 'dist/index.js'));
    const version = await runInApp('npx', ['mp4forge', '--version']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('every block is run here, run by a named test, or marked with the reason it is not run', () => {
    const problems = PLANS.flatMap((p, i) => (p.kind === 'invalid' ? [`${README}:${BLOCKS[i].line}: ${p.problem}`] : []));
    expect(problems).toEqual([]);
    // The parser found the README's blocks: the js, ts and sh examples are there to run.
    const runners = new Set(PLANS.flatMap((p) => (p.kind === 'run' ? [p.runner] : [])));
    expect([...runners].sort()).toEqual(['cjs', 'mjs', 'sh', 'ts']);
    // A file block is there for a block below it that uses it.
    for (const [i, p] of PLANS.entries()) {
      if (p.kind !== 'file') continue;
      const users = BLOCKS.slice(i + 1).filter((b, j) => PLANS[i + 1 + j].kind === 'run' && b.code.includes(p.name));
      expect(users.length, `${README}:${BLOCKS[i].line}: nothing below runs ${p.name}`).toBeGreaterThan(0);
    }
  });

  it('a block run by another test: that test exists and reaches the included file, file by file', () => {
    const elsewhere = PLANS.filter((p) => p.kind === 'elsewhere');
    expect(elsewhere.length).toBeGreaterThan(0);
    for (const p of elsewhere) {
      const chain = [...p.chain, p.file];
      expect(chain[0], `${p.file}: the first file of "run by" must be a test`).toMatch(/^test\/.+\.test\.ts$/);
      for (const file of chain) expect(existsSync(join(ROOT, file)), `${file} (run by … ${p.file})`).toBe(true);
      for (let i = 1; i < chain.length; i++) expect(mentions(join(ROOT, chain[i - 1]), chain[i]), `${chain[i - 1]} does not name ${chain[i]}`).toBe(true);
    }
  });

  /** stdout of each block run, by line, for the output samples below them. */
  const stdoutOf = new Map<number, string>();

  for (const [i, block] of BLOCKS.entries()) {
    const p = PLANS[i];
    const where = `${README}:${block.line}`;
    if (p.kind === 'run') {
      it(`${where} (${block.lang}) runs, and every MP4 it writes is read by ffprobe`, async () => {
        const before = outputs();
        const r = await runBlock(block, p.runner);
        expect(r.code, `${where} failed:\n${r.stderr}`).toBe(0);
        stdoutOf.set(block.line, r.stdout);
        const after = outputs();
        const written = [...after.keys()].filter((name) => after.get(name) !== before.get(name));
        // Files the block names must be among them (a block that silently wrote nothing fails).
        const named = new Set(block.code.match(/[\w-]+\.(?:mp4|m4s)\b/g) ?? []);
        for (const name of named) expect(written, `${where} names ${name}`).toContain(name);
        for (const name of written) {
          const probe = await ffprobe(join(APP, name), { count: true });
          const video = probe.streams.find((s) => s.codec_type === 'video');
          expect(video?.codec_name, `${where}: ${name}`).toBe('h264');
          expect(Number(video?.nb_read_frames), `${where}: ${name}`).toBeGreaterThan(0);
        }
      });
    } else if (p.kind === 'file') {
      it(`${where} (${block.lang}) is written as ${p.name} for the blocks below`, () => {
        writeFileSync(join(APP, p.name), block.code);
      });
    } else if (p.kind === 'output') {
      it(`${where} (${block.lang}) has the keys and value types of what the block above printed`, () => {
        const printed = stdoutOf.get(BLOCKS[i - 1].line);
        expect(printed, `the block above ${where} did not run`).toBeDefined();
        const actual: unknown = JSON.parse(printed!.trim().split('\n').pop()!);
        expect(shape(JSON.parse(block.code))).toEqual(shape(actual));
      });
    }
  }
});

describe(`${README}: the TypeScript blocks type-check against dist/index.d.ts`, () => {
  const dir = join(APP, 'typecheck');
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const tsBlocks = BLOCKS.filter((b, i) => b.lang === 'ts' && PLANS[i].kind === 'run');

  /** tsc over the blocks with this lib and these types; the diagnostics, or '' when it passes. */
  function typecheck(name: string, lib: string[], types: string[]): string {
    const compilerOptions = {
      target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false,
      lib, types, typeRoots: [join(ROOT, 'node_modules/@types')],
    };
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
    const r = spawnSync(process.execPath, [tsc, '-p', `${name}.json`], { cwd: dir, encoding: 'utf8' });
    return r.status === 0 ? '' : r.stdout + r.stderr;
  }

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    for (const b of tsBlocks) writeFileSync(join(dir, `readme-${b.line}.ts`), b.code);
  });

  it('with the DOM lib and no @types/node', () => {
    expect(tsBlocks.length).toBeGreaterThan(0);
    expect(typecheck('dom', ['es2022', 'dom'], [])).toBe('');
  });

  it('with @types/node and no DOM lib', () => {
    expect(typecheck('node', ['es2022'], ['node'])).toBe('');
  });

  it('with neither, tsc cannot find the web types dist/index.d.ts names (as the README says)', () => {
    const out = typecheck('bare', ['es2022'], []);
    for (const name of ['WritableStream', 'ReadableStream', 'AbortSignal', 'URL']) expect(out).toContain(`Cannot find name '${name}'`);
  });
});
