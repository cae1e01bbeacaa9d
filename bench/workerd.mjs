// npm run bench:workerd: what fits in a Cloudflare Worker request. mp4forge's workerd build runs in
// workerd (miniflare 4, bundled as wrangler bundles it); for each size a fresh workerd renders a
// clip (pattern + melody, fragmented, 30 fps) and we read, from /proc, the CPU seconds the workerd
// process spent on the request and its peak resident memory. Cloudflare bills CPU time, not wall
// time: Workers Paid allows 30 s per request by default and up to 5 min (`limits.cpu_ms`); an
// isolate has 128 MB. Figures are for this machine's CPU.
//
// Options: --sizes 320x180,640x360,1280x720,1920x1080  --frames 150  --pattern plasma  --out workerd
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environment, environmentMd, mdTable, parseArgs, ROOT, round, writeResults } from './lib/common.mjs';
import { bundleWorker, compatibilityDate } from './lib/worker-bundle.mjs';

const args = parseArgs();
const SIZES = String(args.sizes ?? '320x180,640x360,1280x720,1920x1080').split(',').map((s) => s.split('x').map(Number));
const FRAMES = Number(args.frames ?? 150);
const PATTERN = String(args.pattern ?? 'plasma');
const TICKS = 100;

const outDir = mkdtempSync(join(tmpdir(), 'mp4forge-bench-workerd-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
const { script, wasmModules } = await bundleWorker({ entry: join(ROOT, 'bench/workerd/worker.js'), outDir });
const { Miniflare } = await import('miniflare');

/** The workerd processes under this one. */
function workerdPids() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'workerd' && Number(f[1]) === process.pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}
const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
};
const statusKiB = (pid, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const rows = [];
for (const [width, height] of SIZES) {
  const before = new Set(workerdPids());
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: script }, ...wasmModules.map((path) => ({ type: 'CompiledWasm', path }))],
    modulesRoot: outDir,
    compatibilityDate: compatibilityDate(join(ROOT, 'examples/cloudflare-worker/wrangler.toml')),
  });
  await mf.ready;
  const pid = workerdPids().find((p) => !before.has(p));
  // Warm-up: the isolate starts and the encoder module is instantiated once.
  await (await mf.dispatchFetch(`http://w/?width=${width}&height=${height}&frames=2&pattern=${PATTERN}`)).json();
  const baseRss = statusKiB(pid, 'VmRSS');
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const res = await (await mf.dispatchFetch(`http://w/?width=${width}&height=${height}&frames=${FRAMES}&pattern=${PATTERN}`)).json();
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - c0;
  const peak = statusKiB(pid, 'VmHWM');
  await mf.dispose();
  if (res.frames !== FRAMES) throw new Error(`${width}x${height}: ${JSON.stringify(res)}`);
  const fpsCpu = FRAMES / cpu;
  const row = {
    size: `${width}x${height}`, frames: FRAMES, cpuSeconds: round(cpu, 2), wallSeconds: round(wall, 2), framesPerCpuSecond: round(fpsCpu, 1),
    framesIn30s: Math.floor(fpsCpu * 30), framesIn300s: Math.floor(fpsCpu * 300), bytes: res.bytes,
    peakRssMiB: round(peak / 1024, 1), rssGrowthMiB: round((peak - baseRss) / 1024, 1), baseRssMiB: round(baseRss / 1024, 1),
  };
  rows.push(row);
  const rss = `peak RSS ${row.peakRssMiB} MiB (+${row.rssGrowthMiB})`;
  process.stderr.write(`${row.size}: ${row.cpuSeconds} CPU s for ${FRAMES} frames (${row.framesPerCpuSecond}/s), ${rss}\n`);
}

const env = environment();
const json = { command: 'npm run bench:workerd', environment: env, settings: { frames: FRAMES, pattern: PATTERN, fps: 30 }, rows };
const md = [
  '# mp4forge in Cloudflare workerd: CPU time and memory per request',
  '',
  `Command: \`npm run bench:workerd\`. ${environmentMd(env)} workerd from miniflare ${JSON.parse(readFileSync(join(ROOT, 'node_modules/miniflare/package.json'), 'utf8')).version}.`,
  '',
  `Each size: a fresh workerd, a 2-frame warm-up request, then ${FRAMES} frames of \`${PATTERN}\` at 30 fps with a generated melody, fragmented, into a ` +
    'WritableStream that counts bytes. CPU s: user + system time of the workerd process during the request (/proc); frames in 30 s / 300 s: what fits in ' +
    "Workers Paid's default CPU limit and its maximum (`limits.cpu_ms = 300000`) at that rate. Peak RSS: the whole workerd process (VmHWM; runtime included), " +
    'and its growth over the RSS after the warm-up, the part the request used; the 128 MB isolate limit is about the latter.',
  '',
  mdTable(
    ['size', 'CPU s', 'frames / CPU s', 'frames in 30 s CPU', 'frames in 300 s CPU', 'peak RSS MiB', 'growth MiB'],
    rows.map((r) => [r.size, r.cpuSeconds, r.framesPerCpuSecond, r.framesIn30s, r.framesIn300s, r.peakRssMiB, r.rssGrowthMiB]),
  ),
];
const files = writeResults(args.out ?? 'workerd', json, md.join('\n'));
console.log(md.join('\n'));
console.error(`wrote ${files.json} and ${files.md}`);
