// npm run bench:browser: the two H.264 backends of the browser build — WASM (h264-mp4-encoder)
// and WebCodecs (the browser's VideoEncoder) — compared in Debian's headless Chromium, inside a
// Web Worker, through createMp4Writer end to end (RGBA frames in, MP4 bytes out).
//
// For each size and target bitrate (`video.kbps`, the same number for both backends), and at the
// defaults (qp 26; WebCodecs maps qp to a bitrate where it has no quantiser mode): frames per
// second of wall time (median of the repetitions), frames per CPU second of the whole browser
// (all Chromium processes: WebCodecs encodes on its own threads), the bytes actually written, and
// RGB PSNR of the output decoded by the npm ffmpeg against the source frames drawn again in Node.
// Because rate control misses targets differently, each WebCodecs point is also compared with
// WASM at WebCodecs' *actual* bitrate (log-rate interpolation between WASM's points).
//
// If this Chromium cannot encode H.264 through WebCodecs, the script says so (with what
// isConfigSupported answered) and measures WASM alone.
//
// The worker pool in the browser: renderVideo with a pattern scene in the same worker, with 0, 1 and
// 2 encode workers (module Web Workers started by mp4forge): fps and speed-up over 0, and whether
// the bytes are the same (SHA-256).
//
// Options: --frames 60  --reps 3  --sizes 640x360,1280x720  --pattern plasma  --kbps 500,1000,2000 (all sizes)
//          --pool-frames 240  --pool-workers 0,1,2  --pool-only (skip the WASM/WebCodecs comparison)  --out browser
import { readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { environment, environmentMd, filePsnr, mdTable, median, parseArgs, ROOT, round, writeResults, BENCH_DIR } from './lib/common.mjs';
import { loadPatterns } from './lib/content.mjs';

const args = parseArgs();
const FRAMES = Number(args.frames ?? 60);
const REPS = Number(args.reps ?? 3);
const PATTERN = String(args.pattern ?? 'plasma');
const SIZES = String(args.sizes ?? '640x360,1280x720').split(',').map((s) => s.split('x').map(Number));
const DEFAULT_KBPS = { '640x360': [500, 1000, 2000], '1280x720': [1000, 2000, 4000] };
const FPS = 30;
const GOP = 2 * FPS;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = String(args.out ?? 'browser');
const POOL_FRAMES = Number(args['pool-frames'] ?? 240);
const POOL_WORKERS = String(args['pool-workers'] ?? '0,1,2').split(',').map(Number);
const POOL_ONLY = Boolean(args['pool-only']);

if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (or set CHROMIUM_PATH)`);
  process.exit(1);
}
const entry = join(ROOT, 'dist', 'index.browser.js');
if (!existsSync(entry)) {
  console.error(`${entry} is missing: run \`npm run build\` (npm run bench:browser does)`);
  process.exit(1);
}

const started = performance.now();
const patterns = await loadPatterns();
if (!patterns.source.startsWith('mp4forge')) throw new Error(`PSNR needs the library's own drawPattern in Node; got ${patterns.source}`);

// ------------------------------------------------------------------------------ build and serve

const outDir = mkdtempSync(join(tmpdir(), 'mp4forge-bench-browser-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
const { build } = await import('vite');
await build({
  root: join(BENCH_DIR, 'browser'),
  configFile: false,
  logLevel: 'warn',
  base: './',
  resolve: { alias: [{ find: /^mp4forge$/, replacement: entry }] },
  worker: { format: 'es' },
  build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 3000 },
});

const TYPES = { '.html': 'text/html', '.js': 'text/javascript' };
const server = createServer((req, res) => {
  const path = normalize(join(outDir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
  if (!path.startsWith(outDir) || !existsSync(path)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' });
  res.end(readFileSync(path));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/index.html`;

// ------------------------------------------------------------------------------ browser CPU time

const TICKS = 100; // USER_HZ on Linux
/** User + system CPU seconds of every process descended from this one (Chromium and its children). */
function browserCpuSeconds() {
  const parent = new Map();
  const cpu = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / TICKS);
    } catch {
      // exited meanwhile
    }
  }
  let sum = 0;
  for (const [pid, secs] of cpu) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        sum += secs;
        break;
      }
    }
  }
  return sum;
}

// ------------------------------------------------------------------------------ runs

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-quic', '--no-first-run',
  ],
});
const version = browser.version();
const page = await browser.newPage();
await page.goto(url);
await page.waitForFunction(() => 'bench' in window);

const [W0, H0] = SIZES[0];
const support = await page.evaluate((job) => window.bench.webcodecs(job), { width: W0, height: H0, fps: FPS, kbps: 1000 });
const webcodecsOk = support.supported === true;
process.stderr.write(`Chromium ${version}; WebCodecs H.264 in a worker: ${JSON.stringify(support)}\n`);
const BACKENDS = POOL_ONLY ? [] : webcodecsOk ? ['wasm', 'webcodecs'] : ['wasm'];

async function job(spec) {
  const c0 = browserCpuSeconds();
  const r = await page.evaluate((j) => window.bench.run(j), spec);
  const cpu = browserCpuSeconds() - c0;
  if (r.error) throw new Error(`${spec.encoder} ${spec.width}x${spec.height} ${spec.kbps ? `${spec.kbps} kbit/s` : `qp ${spec.qp}`}: ${r.error}`);
  const ran = spec.encoder;
  if (r.videoEncoder !== ran) throw new Error(`asked for ${spec.encoder}, the writer used ${r.videoEncoder}`);
  if (r.frames !== spec.frames) throw new Error(`${r.frames} frames written, expected ${spec.frames}`);
  return { ...r, cpu };
}

const rows = [];
for (const [width, height] of SIZES) {
  const sizeKey = `${width}x${height}`;
  const rates = args.kbps ? String(args.kbps).split(',').map(Number) : DEFAULT_KBPS[sizeKey] ?? [1000, 2000, 4000];
  const base = { pattern: PATTERN, width, height, fps: FPS, frames: FRAMES, gop: GOP };
  const source = (i) => {
    const f = new Uint8Array(width * height * 4);
    patterns.draw(PATTERN, f, width, height, i);
    return f;
  };
  for (const encoder of BACKENDS) {
    process.stderr.write(`${sizeKey} ${encoder}: warm-up… `);
    await job({ ...base, frames: Math.min(FRAMES, 30), encoder, qp: 26 });
    process.stderr.write('\n');
    for (const setting of [{ qp: 26 }, ...rates.map((kbps) => ({ kbps }))]) {
      const label = setting.kbps ? `${setting.kbps} kbit/s` : 'qp 26 (default)';
      process.stderr.write(`  ${label}: `);
      const fps = [];
      const cpuFps = [];
      const setup = [];
      const sizes = [];
      let psnr = null;
      for (let r = 0; r < REPS; r++) {
        const res = await job({ ...base, encoder, ...setting, keep: r === 0 });
        fps.push(FRAMES / (res.ms / 1000));
        cpuFps.push(FRAMES / res.cpu);
        setup.push(res.setupMs);
        sizes.push(res.bytes);
        if (r === 0) {
          const file = join(outDir, `${encoder}-${sizeKey}-${setting.kbps ?? 'qp26'}.mp4`);
          writeFileSync(file, Buffer.from(res.mp4, 'base64'));
          psnr = await filePsnr(file, width, height, FRAMES, source);
          rmSync(file, { force: true });
        }
      }
      const bytes = sizes[0];
      const row = {
        size: sizeKey, encoder, setting: label, targetKbps: setting.kbps ?? null,
        fps: round(median(fps), 1), fpsPerRun: fps.map((x) => round(x, 1)),
        cpuFps: round(median(cpuFps), 1),
        setupMs: round(median(setup), 0),
        bytes, sizesPerRun: sizes, kbps: round((bytes * 8 * FPS) / FRAMES / 1000, 0),
        rgbPsnrDb: round(psnr.meanDb, 2), worstFramePsnrDb: round(psnr.minDb, 2),
      };
      rows.push(row);
      process.stderr.write(`${row.fps} fps (${row.cpuFps} per browser CPU s), ${row.kbps} kbit/s actual, ${row.rgbPsnrDb} dB\n`);
    }
  }
}
// ------------------------------------------------------------------------------ worker pool

const poolRows = [];
const cores = await page.evaluate(() => navigator.hardwareConcurrency);
for (const [width, height] of SIZES) {
  const sizeKey = `${width}x${height}`;
  const spec = { type: 'pool', pattern: PATTERN, width, height, fps: FPS, frames: POOL_FRAMES, gop: GOP };
  process.stderr.write(`${sizeKey} pool: warm-up… \n`);
  await page.evaluate((j) => window.bench.run(j), { ...spec, frames: GOP, workers: Math.max(...POOL_WORKERS) });
  for (const workers of POOL_WORKERS) {
    const fps = [];
    const hashes = new Set();
    let cpu = 0;
    for (let r = 0; r < REPS; r++) {
      const c0 = browserCpuSeconds();
      const res = await page.evaluate((j) => window.bench.run(j), { ...spec, workers });
      cpu += browserCpuSeconds() - c0;
      if (res.error) throw new Error(`pool ${sizeKey} ${workers} workers: ${res.error}`);
      if (res.frames !== POOL_FRAMES) throw new Error(`${res.frames} frames written, expected ${POOL_FRAMES}`);
      fps.push(POOL_FRAMES / (res.ms / 1000));
      hashes.add(res.sha256);
    }
    const row = {
      size: sizeKey, workers, fps: round(median(fps), 1), fpsPerRun: fps.map((x) => round(x, 1)),
      cpuFps: round((POOL_FRAMES * REPS) / cpu, 1), sha256: [...hashes],
    };
    poolRows.push(row);
    process.stderr.write(`  ${workers} workers: ${row.fps} fps (${row.fpsPerRun.join(', ')})\n`);
  }
}
for (const r of poolRows) {
  const base = poolRows.find((x) => x.size === r.size && x.workers === 0);
  r.speedup = base ? round(r.fps / base.fps, 2) : null;
  r.sameBytes = Boolean(base) && r.sha256.length === 1 && base.sha256.length === 1 && r.sha256[0] === base.sha256[0];
}

await browser.close();
server.close();

// ------------------------------------------------------------------------------ comparison


/** PSNR of `encoder`'s rate-controlled points at `kbps`, interpolated linearly in log(kbps). */
function psnrAt(size, encoder, kbps) {
  const pts = rows
    .filter((r) => r.size === size && r.encoder === encoder && r.targetKbps)
    .map((r) => ({ x: Math.log(r.kbps), y: r.rgbPsnrDb }))
    .sort((a, b) => a.x - b.x);
  if (pts.length < 2) return null;
  const x = Math.log(kbps);
  let i = pts.findIndex((p) => p.x >= x);
  if (i <= 0) i = i === 0 ? 1 : pts.length - 1;
  const [a, b] = [pts[i - 1], pts[i]];
  return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
}

const comparisons = [];
if (webcodecsOk) {
  for (const r of rows.filter((x) => x.encoder === 'webcodecs')) {
    const w = rows.find((x) => x.size === r.size && x.encoder === 'wasm' && x.setting === r.setting);
    const wasmAtSameRate = psnrAt(r.size, 'wasm', r.kbps);
    comparisons.push({
      size: r.size,
      setting: r.setting,
      speedup: round(r.fps / w.fps, 2),
      cpuEfficiency: round(r.cpuFps / w.cpuFps, 2),
      sizeRatio: round(r.bytes / w.bytes, 2),
      psnrDeltaDb: round(r.rgbPsnrDb - w.rgbPsnrDb, 2),
      psnrDeltaAtEqualRateDb: wasmAtSameRate === null ? null : round(r.rgbPsnrDb - wasmAtSameRate, 2),
    });
  }
}

const env = { ...environment(), chromium: version };
const json = {
  command: 'npm run bench:browser',
  environment: env,
  settings: { frames: FRAMES, reps: REPS, pattern: PATTERN, patternSource: patterns.source, fps: FPS, gop: GOP, sizes: SIZES.map(([w, h]) => `${w}x${h}`) },
  webcodecs: support,
  rows,
  comparisons,
  pool: { frames: POOL_FRAMES, cores, rows: poolRows },
  seconds: round((performance.now() - started) / 1000, 1),
};

const md = [
  '# mp4forge in the browser: WASM vs WebCodecs H.264',
  '',
  'Command: `npm run bench:browser` (= `npm run build && node bench/browser.mjs`).',
  '',
  `${environmentMd(env)} Chromium ${version} (Debian), headless, \`--disable-gpu\`.`,
  '',
  `WebCodecs H.264 (\`avc1.42E01F\`, \`avc: { format: 'avc' }\`) asked from the worker: ${webcodecsOk ? 'supported' : '**not supported: only WASM was measured**'} ` +
    `(isConfigSupported: variable ${support.variable}, constant ${support.constant}, quantizer ${support.quantizer}).`,
  '',
  `${FRAMES} frames of \`${PATTERN}\` (${patterns.source}) per encode, ${FPS} fps, GOP ${GOP}, inside a module Web Worker through \`createMp4Writer({ output: { buffer: true }, video: { encoder, kbps | qp } })\`; frames drawn before timing. ` +
    `fps: median of ${REPS} runs, wall time from createMp4Writer to finish() (setup included). CPU fps: frames per CPU second of all Chromium processes (WebCodecs encodes on threads of its own). ` +
    'kbit/s: what was actually written (video only). PSNR: decoded by the npm ffmpeg to full-range RGB24 (BT.601), against the source frames drawn again in Node; mean of per-frame values, and the worst frame.',
  '',
  mdTable(
    ['size', 'encoder', 'setting', 'fps', 'CPU fps', 'setup ms', 'kbit/s actual', 'PSNR dB', 'worst dB'],
    rows.map((r) => [r.size, r.encoder, r.setting, r.fps, r.cpuFps, r.setupMs, r.kbps, r.rgbPsnrDb, r.worstFramePsnrDb]),
  ),
];
if (comparisons.length) {
  md.push(
    '',
    '## WebCodecs relative to WASM, same setting',
    '',
    'ΔPSNR at equal rate: WebCodecs minus WASM interpolated (log rate) at the bitrate WebCodecs actually wrote, so a backend that overshoots its target gets no credit for it.',
    '',
    mdTable(
      ['size', 'setting', 'speed ×', 'CPU efficiency ×', 'size ×', 'ΔPSNR dB', 'ΔPSNR at equal rate dB'],
      comparisons.map((c) => [c.size, c.setting, c.speedup, c.cpuEfficiency, c.sizeRatio, c.psnrDeltaDb, c.psnrDeltaAtEqualRateDb ?? 'n/a']),
    ),
  );
}
md.push(
  '',
  '## Worker pool: renderVideo with 0, 1, 2 encode workers',
  '',
  `${POOL_FRAMES} frames of \`${PATTERN}\` per render, qp 26, GOP ${GOP}, \`renderVideo({ scene: '${PATTERN}', workers })\` called in a module Web Worker; with N > 0 ` +
    `mp4forge starts N module Web Workers that draw and encode whole GOPs (navigator.hardwareConcurrency here: ${json.pool.cores}). ` +
    `fps: median of ${REPS} runs (wall time, setup and worker start included). CPU fps: frames per CPU second of all Chromium processes. ` +
    'Same bytes: every run at that count wrote the SHA-256 of the 0-worker file.',
  '',
  mdTable(
    ['size', 'workers', 'fps', 'speed-up ×', 'CPU fps', 'same bytes as 0 workers'],
    poolRows.map((r) => [r.size, r.workers, r.fps, r.speedup ?? 'n/a', r.cpuFps, r.sameBytes ? 'yes' : 'NO']),
  ),
);
md.push('', `Run took ${json.seconds} s.`);
const files = writeResults(OUT, json, md.join('\n'));
process.stderr.write(`wrote ${files.json} and ${files.md}\n`);
const summaryRows = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'fpsPerRun' && k !== 'sizesPerRun')));
console.log(JSON.stringify({ webcodecs: support, rows: summaryRows, comparisons, pool: poolRows }, null, 2));
