// npm run bench:peers: mp4forge against the tools users would pick instead, measured in one run.
//
//   1. encode  generated frames → MP4 at 1280×720 and 1920×1080, 300 frames, `gradient` and `noise`:
//              mp4forge (one thread; and with `workers` when the built dist has them), (a) the raw
//              WASM encoder × cores (a computed ceiling), (b) h264-mp4-encoder as its README shows,
//              (c) native libx264 ultrafast (npm ffmpeg) with 1 thread and with all, the same RGBA
//              piped in, (d) x264 + `-c:a copy` of an MP3 against mp4forge with the same MP3.
//   2. mux     the same H.264 packets + MP3 frames muxed by mp4forge's muxers and by Mediabunny,
//              faststart and fragmented, into memory; outputs checked with ffprobe and mp4box.
//   3. parse   a 1-hour MP3 (npm ffmpeg, libmp3lame) parsed by mp4forge, Mediabunny and codec-parser;
//              frame counts, sizes and timestamps must agree.
//   4. cold    import → first frame encoded in a fresh process; installed package size.
//
// Every measurement that reports memory runs in its own process (bench/peers-child.mjs, or ffmpeg)
// under /usr/bin/time -v. Repetitions rotate the variant order; figures are medians.
//
// Options: --quick (development: small sizes, 1 rep)  --reps R (3)  --frames N (300)
//          --sizes 1280x720,1920x1080  --contents gradient,noise  --only encode,mux,parse,cold
//          --mux-seconds S (300)  --parse-minutes M (60)  --out peers
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BENCH_DIR, CACHE_DIR, FFMPEG, FFPROBE, RESULTS_DIR, ROOT, environment, filePsnr, fmtBytes, loadLibrary, median, parseArgs, parseTimeV, round, TIME,
  writeResults,
} from './lib/common.mjs';
import { loadPatterns } from './lib/content.mjs';
import { renderSvg } from './lib/bar-chart.mjs';

const args = parseArgs();
const QUICK = Boolean(args.quick);
const REPS = Number(args.reps ?? (QUICK ? 1 : 3));
const FRAMES = Number(args.frames ?? (QUICK ? 60 : 300));
const SIZES = String(args.sizes ?? (QUICK ? '640x360' : '1280x720,1920x1080')).split(',').map((s) => s.split('x').map(Number));
const CONTENTS = String(args.contents ?? 'gradient,noise').split(',');
const SECTIONS = String(args.only ?? 'encode,mux,parse,cold').split(',');
// x264 on white noise at its default CRF 23 writes ~1 MB per 1080p frame and runs at ~2 fps (CPU):
// noise gets fewer repetitions by default so the run stays near 15-20 minutes on 2 cores.
const NOISE_REPS = Number(args['noise-reps'] ?? 1);
// The raw encoder's rate (frames per second of addFrameYuv) needs fewer frames than the clip.
const RAW_FRAMES = Math.min(FRAMES, Number(args['raw-frames'] ?? 60));
const MUX_SECONDS = Number(args['mux-seconds'] ?? (QUICK ? 30 : 300));
const PARSE_MINUTES = Number(args['parse-minutes'] ?? (QUICK ? 5 : 60));
const MUX_REPS = Math.max(REPS, QUICK ? 1 : 5);
const COLD_REPS = QUICK ? 3 : 7;
const OUT = String(args.out ?? 'peers');
const CORES = os.cpus().length;
const FPS = 30;
const RING = 60; // distinct source frames, cycled: one GOP, so the repeat falls on a keyframe
const CHILD = join(BENCH_DIR, 'peers-child.mjs');
if (!(REPS >= 1) || !(FRAMES > 0)) throw new Error('--reps and --frames must be positive');

const started = performance.now();
const loadStart = os.loadavg().map((x) => round(x, 2));
const lib = await loadLibrary(); // also sets MP4FORGE_BENCH_DIST (the dist snapshot) for the children
const WORKERS = typeof lib.renderVideo === 'function'; // the worker pool ships with renderVideo
const work = join(os.tmpdir(), `mp4forge-peers-${process.pid}`);
mkdirSync(work, { recursive: true });
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const log = (s) => process.stderr.write(s);

// ---------------------------------------------------------------------------------------------
// Processes

/** `/usr/bin/time -v` figures as this bench reports them: peak RSS rounded to 0.1 MiB. */
function timeV(stderr) {
  const t = parseTimeV(stderr);
  return { peakRssMiB: t.peakRssMiB === null ? null : round(t.peakRssMiB, 1), cpu: t.cpu };
}

/**
 * Runs `cmd argv` under /usr/bin/time -v, optionally writing `frames` (cycled from `ring`) to its
 * stdin. Resolves with wall seconds from spawn to exit, peak RSS, CPU seconds and the last JSON
 * line it printed (if any).
 */
async function run(cmd, argv, { ring = null, frames = 0, env = {} } = {}) {
  const [c, a] = TIME ? [TIME, ['-v', cmd, ...argv]] : [cmd, argv];
  const t0 = performance.now();
  const child = spawn(c, a, { stdio: [ring ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const closed = once(child, 'close');
  if (ring) {
    child.stdin.on('error', () => {}); // EPIPE when the child fails; its exit code reports it
    let exited = false;
    closed.then(() => (exited = true));
    for (let i = 0; i < frames && !exited; i++) {
      if (!child.stdin.write(ring[i % ring.length])) await Promise.race([once(child.stdin, 'drain'), closed]);
    }
    child.stdin.end();
  }
  const [code, signal] = await closed;
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${code ?? signal}):\n${err.split('\n').slice(-15).join('\n')}`);
  const line = out.trim().split('\n').pop();
  let json;
  try {
    json = line ? JSON.parse(line) : null;
  } catch {
    json = null;
  }
  return { seconds, ...timeV(err), json };
}

const node = (mode, opts) => [process.execPath, [CHILD, '--mode', mode, ...Object.entries(opts).flatMap(([k, v]) => [`--${k}`, String(v)])]];

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * An MP3 from the npm ffmpeg (libmp3lame 128 kbit/s, stereo 44.1 kHz: a tone left, pink noise
 * right). `-compression_level 9` is LAME's fastest mode: this 2018 static build encodes only ~30×
 * real time, and the hour-long file would otherwise cost minutes. With `cache`, the file is kept
 * in os.tmpdir() and reused by later runs (it is never committed).
 */
function makeMp3(seconds, file, cache = false) {
  if (cache && existsSync(file)) return { file, generatedSeconds: null };
  const t0 = performance.now();
  const part = `${file}.part-${process.pid}.mp3`;
  const src = (f) => ['-f', 'lavfi', '-i', f];
  const r = spawnSync(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-y',
    ...src(`sine=frequency=300:sample_rate=44100:duration=${seconds}`),
    ...src(`anoisesrc=color=pink:amplitude=0.05:sample_rate=44100:duration=${seconds}`),
    '-filter_complex', '[0][1]amerge=inputs=2', '-c:a', 'libmp3lame', '-b:a', '128k', '-compression_level', '9', part,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr}`);
  renameSync(part, file);
  return { file, generatedSeconds: round((performance.now() - t0) / 1000, 1) };
}

/** ffprobe packet counts per stream type. */
function probePackets(file) {
  const r = spawnSync(FFPROBE, ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,nb_read_packets', '-of', 'json', file]);
  if (r.status !== 0) throw new Error(`ffprobe rejected ${file}: ${r.stderr}`);
  const out = {};
  for (const s of JSON.parse(r.stdout).streams) out[s.codec_type] = Number(s.nb_read_packets);
  return out;
}

/** Parses a file with mp4box.js; its sample count per track (for fragmented files it includes every moof's samples). */
async function mp4boxSamples(file) {
  const MP4Box = await import('mp4box');
  const createFile = MP4Box.createFile ?? MP4Box.default.createFile;
  const mp4 = createFile();
  let info = null;
  let error = null;
  mp4.onReady = (i) => (info = i);
  mp4.onError = (e) => (error = e);
  const bytes = readFileSync(file);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  ab.fileStart = 0;
  mp4.appendBuffer(ab);
  mp4.flush();
  if (error || !info) throw new Error(`mp4box could not parse ${file}: ${error ?? 'no moov'}`);
  const counts = {};
  for (const t of info.tracks) counts[t.type ?? (t.video ? 'video' : 'audio')] = { samples: t.nb_samples };
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v.samples]));
}

// ---------------------------------------------------------------------------------------------
// 1. End-to-end encode

const X264 = (w, h, out, threads, mp3) => [
  '-hide_banner', '-loglevel', 'error', '-y',
  '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${w}x${h}`, '-r', String(FPS), '-i', '-',
  ...(mp3 ? ['-i', mp3, '-map', '0:v', '-map', '1:a', '-c:a', 'copy'] : []),
  // yuv420p: without it ffmpeg picks yuv444p for RGBA input. -g: the same 2 s GOP as mp4forge.
  // Rate control stays x264's default (CRF 23); sizes and PSNR are reported beside the speed.
  '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', String(threads), '-pix_fmt', 'yuv420p', '-g', String(2 * FPS),
  '-f', 'mp4', out,
];

const VARIANTS = {
  mp4forge: { label: 'mp4forge, one thread: createMp4Writer → addFrame(RGBA) → finish, faststart to a file', psnr: true },
  ...(WORKERS ? { workers: { label: `mp4forge with workers: ${CORES}`, psnr: true } } : {}),
  raw: { label: 'raw WASM encoder: addFrameYuv on pre-converted I420 (one thread; × cores = computed ceiling)' },
  hme: { label: 'h264-mp4-encoder as its README shows (addFrameRgba → finalize → FS.readFile), mp4forge\'s qp/speed/GOP', psnr: true },
  x264: { label: 'native libx264 -preset ultrafast -threads 1, RGBA piped into the npm ffmpeg', psnr: true },
  x264all: { label: `native libx264 -preset ultrafast -threads 0 (all ${CORES} cores), RGBA piped in`, psnr: true },
  mp4forgeMp3: { label: 'mp4forge, one thread, + the MP3 track' },
  x264Mp3: { label: 'libx264 -threads 1 + the same MP3 with -c:a copy' },
};

async function runVariant(v, ctx, out) {
  const { width, height, content, ring, mp3 } = ctx;
  const frames = FRAMES;
  if (v === 'raw') {
    // The limit of the encoder itself: the child's own clock around addFrameYuv…finalize.
    const r = await run(...node('encode', { variant: 'raw', width, height, frames: RAW_FRAMES, content, out }));
    return { frames: RAW_FRAMES, seconds: r.json.seconds, cpu: r.json.cpu, bytes: r.json.bytes, peakRssMiB: r.peakRssMiB };
  }
  let r;
  if (v === 'x264' || v === 'x264all' || v === 'x264Mp3') {
    r = await run(FFMPEG, X264(width, height, out, v === 'x264all' ? 0 : 1, v === 'x264Mp3' ? mp3 : null), { ring, frames });
  } else {
    const opts = { variant: v === 'mp4forgeMp3' ? 'mp4forge' : v, width, height, frames, content, out };
    if (v === 'mp4forgeMp3') opts.audio = mp3;
    if (v === 'workers') opts.workers = CORES;
    r = await run(...node('encode', opts), { ring, frames });
  }
  return { frames, seconds: r.seconds, cpu: r.cpu, bytes: statSync(out).size, peakRssMiB: r.peakRssMiB };
}

async function encodeSection() {
  const patterns = await loadPatterns();
  const mp3 = makeMp3(FRAMES / FPS, join(work, 'track.mp3')).file;
  const all = Object.keys(VARIANTS);
  const configs = [];
  for (const [width, height] of SIZES) {
    for (const content of CONTENTS) {
      // The MP3 pair only at the first size and content: the audio track costs the same whatever the picture.
      const withMp3 = width === SIZES[0][0] && height === SIZES[0][1] && content === CONTENTS[0];
      const order = all.filter((v) => withMp3 || !v.endsWith('Mp3'));
      const reps = content === 'noise' ? NOISE_REPS : REPS;
      // PSNR of noise only at the first size: it is ~12-13 dB for every encoder (see the report) and
      // decoding 300 frames of 1080p noise (~1 MB each) costs minutes.
      const psnrHere = content !== 'noise' || (width === SIZES[0][0] && height === SIZES[0][1]);
      log(`encode ${width}×${height} ${content}: `);
      const ring = [];
      for (let i = 0; i < Math.min(RING, FRAMES); i++) {
        const f = Buffer.alloc(width * height * 4);
        patterns.draw(content, f, width, height, i);
        ring.push(f);
      }
      const ctx = { width, height, content, ring, mp3 };
      const runs = Object.fromEntries(order.map((v) => [v, []]));
      const kept = {};
      for (let r = 0; r < reps; r++) {
        for (const v of order.map((_, k) => order[(k + r) % order.length])) {
          const out = join(work, `${width}x${height}-${content}-${v}-${r}.mp4`);
          const res = await runVariant(v, ctx, out);
          if (r === 0 && VARIANTS[v].psnr && psnrHere) kept[v] = out;
          else rmSync(out, { force: true });
          runs[v].push(res);
          log('.');
        }
      }
      const variants = {};
      for (const v of order) {
        const rs = runs[v];
        variants[v] = {
          frames: rs[0].frames,
          fps: round(median(rs.map((x) => x.frames / x.seconds)), 2),
          fpsRuns: rs.map((x) => round(x.frames / x.seconds, 2)),
          cpuFps: round(median(rs.map((x) => x.frames / x.cpu)), 2),
          cpuSeconds: round(median(rs.map((x) => x.cpu)), 2),
          bytes: median(rs.map((x) => x.bytes)),
          peakRssMiB: round(median(rs.map((x) => x.peakRssMiB)), 1),
        };
      }
      variants.raw.ceilingFps = round(variants.raw.fps * CORES, 2);
      log(' PSNR');
      for (const [v, file] of Object.entries(kept)) {
        const p = await filePsnr(file, width, height, FRAMES, (i) => ring[i % ring.length]);
        variants[v].rgbPsnrDb = round(p.meanDb, 2);
        variants[v].rgbPsnrMinDb = round(p.minDb, 2);
        rmSync(file, { force: true });
        log('.');
      }
      const best = WORKERS ? 'workers' : 'mp4forge';
      const ratio = (a, b) => round(a / b, 3);
      configs.push({
        width,
        height,
        content,
        frames: FRAMES,
        reps,
        variants,
        ratios: {
          // mp4forge fps / peer fps (> 1: mp4forge faster); *Cpu: the same in frames per CPU second.
          vsHme: ratio(variants.mp4forge.fps, variants.hme.fps),
          vsHmeCpu: ratio(variants.mp4forge.cpuFps, variants.hme.cpuFps),
          vsX264OneThread: ratio(variants.mp4forge.fps, variants.x264.fps),
          vsX264OneThreadCpu: ratio(variants.mp4forge.cpuFps, variants.x264.cpuFps),
          vsX264AllThreads: ratio(variants[best].fps, variants.x264all.fps),
          vsCeiling: ratio(variants[best].fps, variants.raw.ceilingFps),
          ...(withMp3
            ? {
                withMp3VsX264Mp3: ratio(variants.mp4forgeMp3.fps, variants.x264Mp3.fps),
                withMp3VsX264Mp3Cpu: ratio(variants.mp4forgeMp3.cpuFps, variants.x264Mp3.cpuFps),
              }
            : {}),
        },
      });
      log(' done\n');
    }
  }
  return {
    content: patterns.source,
    ring: RING,
    workersAvailable: WORKERS,
    x264Args: X264('W', 'H', 'out.mp4', 'T', null).join(' '),
    x264Mp3Args: X264('W', 'H', 'out.mp4', 1, 'track.mp3').join(' '),
    variants: Object.fromEntries(all.map((v) => [v, VARIANTS[v].label])),
    configs,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Muxing only

/** Bundles mp4forge's internal muxers (not exported by the package) from src/ with esbuild. */
async function bundleInternals() {
  const esbuild = await import('esbuild');
  mkdirSync(CACHE_DIR, { recursive: true });
  const outfile = join(CACHE_DIR, `peers-internals-${process.pid}.mjs`);
  process.on('exit', () => rmSync(outfile, { force: true }));
  await esbuild.build({
    stdin: {
      contents: [
        "export { Mp4Muxer } from './src/mux/mp4-muxer.ts';", "export { FragmentedMuxer } from './src/mux/fragmented-muxer.ts';",
        "export { MemorySink } from './src/mux/sink.ts';", "export { backendById } from './src/encode/registry.ts';",
        "export { buildAvcC } from './src/encode/avc.ts';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'silent',
    external: ['h264-mp4-encoder', 'mp4box', '@breezystack/lamejs'],
  });
  return outfile;
}

/**
 * Encodes one GOP (60 frames of 1280×720 gradient) with mp4forge's encoder and keeps its packets,
 * plus the first `seconds` of the long MP3, cut at a frame boundary, in `dir`.
 */
async function writePackets(dir, internals, longMp3, seconds) {
  mkdirSync(dir, { recursive: true });
  const m = await import(pathToFileURL(internals).href);
  const patterns = await loadPatterns();
  const [W, H] = [1280, 720];
  const params = { width: W, height: H, fpsNum: FPS, fpsDen: 1, qp: 26, kbps: 0, speed: 6, gop: 60, temporalDenoise: false };
  const enc = await m.backendById('h264-mp4-encoder').create(params);
  await enc.beginChunk(0);
  const rgba = new Uint8Array(W * H * 4);
  const yuv = new Uint8Array((W * H * 3) / 2);
  const coded = [];
  for (let i = 0; i < 60; i++) {
    patterns.draw('gradient', rgba, W, H, i);
    lib.toI420(rgba, 'rgba', W, H, yuv);
    coded.push(...enc.encode(yuv));
  }
  coded.push(...enc.endChunk());
  const avcC = m.buildAvcC(enc.config);
  enc.close();
  const hex = (b) => b.toString(16).padStart(2, '0');
  const gopBytes = coded.reduce((s, c) => s + c.data.length, 0);
  writeFileSync(join(dir, 'video.bin'), Buffer.concat(coded.map((c) => c.data)));
  writeFileSync(join(dir, 'avcC.bin'), avcC);
  const mp3 = lib.parseMp3(new Uint8Array(readFileSync(longMp3)));
  const need = Math.ceil((seconds * mp3.format.sampleRate) / mp3.frames[0].samples) + 2;
  const last = mp3.frames[Math.min(need, mp3.frames.length) - 1];
  writeFileSync(join(dir, 'audio.mp3'), readFileSync(longMp3).subarray(mp3.frames[0].offset, last.offset + last.size));
  const meta = {
    video: {
      width: W,
      height: H,
      fps: FPS,
      frames: Math.round(seconds * FPS),
      gopBytes,
      codec: `avc1.${hex(avcC[1])}${hex(avcC[2])}${hex(avcC[3])}`,
      samples: coded.map((c) => ({ size: c.data.length, sync: c.keyframe })),
    },
    audio: { sampleRate: mp3.format.sampleRate, channels: mp3.format.channels },
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return meta;
}

async function muxSection(longMp3) {
  const internals = await bundleInternals();
  const dir = join(work, 'packets');
  const meta = await writePackets(dir, internals, longMp3, MUX_SECONDS);
  const env = { MP4FORGE_PEERS_INTERNALS: internals };
  const impls = ['mp4forge', 'mediabunny'];
  const rows = [];
  for (const layout of ['faststart', 'fragmented']) {
    log(`mux ${layout}: `);
    const runs = { mp4forge: [], mediabunny: [] };
    const checks = {};
    for (let r = 0; r < MUX_REPS; r++) {
      for (const impl of r % 2 ? [...impls].reverse() : impls) {
        const out = r === 0 ? join(work, `mux-${impl}-${layout}.mp4`) : null;
        const res = await run(...node('mux', { impl, layout, packets: dir, ...(out ? { out } : {}) }), { env });
        runs[impl].push({ ...res.json, peakRssMiB: res.peakRssMiB });
        if (out) {
          checks[impl] = { ffprobe: probePackets(out), mp4box: await mp4boxSamples(out) };
          const want = { video: res.json.videoPackets, audio: res.json.audioPackets };
          for (const [tool, got] of Object.entries(checks[impl])) {
            if (got.video !== want.video || got.audio !== want.audio)
              throw new Error(`${impl} ${layout}: ${tool} counts ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
          }
          rmSync(out);
        }
        log('.');
      }
    }
    const summary = {};
    for (const impl of impls) {
      const rs = runs[impl];
      summary[impl] = {
        mbps: round(median(rs.map((x) => x.bytes / 1e6 / x.seconds)), 1),
        mbpsRuns: rs.map((x) => round(x.bytes / 1e6 / x.seconds, 1)),
        packetsPerSecond: round(median(rs.map((x) => (x.videoPackets + x.audioPackets) / x.seconds)), 0),
        cpuMbps: round(median(rs.map((x) => x.bytes / 1e6 / x.cpu)), 1),
        seconds: round(median(rs.map((x) => x.seconds)), 3),
        bytes: rs[0].bytes,
        peakRssMiB: round(median(rs.map((x) => x.peakRssMiB)), 1),
        rssBeforeMiB: round(median(rs.map((x) => x.rssBeforeMiB)), 1),
        checks: checks[impl],
      };
    }
    rows.push({
      layout,
      videoPackets: runs.mp4forge[0].videoPackets,
      audioPackets: runs.mp4forge[0].audioPackets,
      inputBytes: runs.mp4forge[0].inputBytes,
      ...summary,
      ratio: round(summary.mp4forge.mbps / summary.mediabunny.mbps, 3),
    });
    log(' done\n');
  }
  return {
    source: `1280×720 gradient, one 60-frame GOP from mp4forge's encoder (qp 26, speed 6) repeated to ${MUX_SECONDS} s at ${FPS} fps (${meta.video.frames} samples, ${fmtBytes(meta.video.gopBytes)} per GOP), and the first ${MUX_SECONDS} s of the MP3 below`,
    mp4forgeApi: 'internal Mp4Muxer / FragmentedMuxer + MemorySink (src/mux), bundled from src by esbuild: the package exports no API for pre-encoded packets',
    rows,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. MP3 parsing

async function parseSection(file) {
  const bytes = new Uint8Array(readFileSync(file));
  const MB = bytes.length / 1e6;
  const mb = await import('mediabunny');
  const CodecParser = (await import('codec-parser')).default;
  const parsers = {
    mp4forge: async () => {
      const r = lib.parseMp3(bytes);
      let t = 0;
      return r.frames.map((f) => {
        const x = { ts: t / r.format.sampleRate, size: f.size };
        t += f.samples;
        return x;
      });
    },
    mediabunny: async () => {
      const input = new mb.Input({ source: new mb.BufferSource(bytes), formats: [mb.MP3] });
      const track = await input.getPrimaryAudioTrack();
      const out = [];
      for await (const p of new mb.EncodedPacketSink(track).packets()) out.push({ ts: p.timestamp, size: p.byteLength });
      input.dispose?.();
      return out;
    },
    codecParser: async () => {
      const parser = new CodecParser('audio/mpeg', { enableFrameCRC32: false });
      const out = [];
      for (const f of parser.parseAll(bytes)) out.push({ ts: (f.totalSamples - f.samples) / f.header.sampleRate, size: f.data.length });
      return out;
    },
  };
  const names = Object.keys(parsers);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  const found = {};
  log('parse: ');
  for (const n of names) found[n] = await parsers[n](); // warm-up; its output is compared below
  for (let r = 0; r < Math.max(3, REPS); r++) {
    for (const n of r % 2 ? [...names].reverse() : names) {
      const t0 = performance.now();
      const frames = await parsers[n]();
      runs[n].push((performance.now() - t0) / 1000);
      if (frames.length !== found[n].length) throw new Error(`${n} found ${frames.length} frames, then ${found[n].length}`);
      log('.');
    }
  }
  log(' done\n');
  // Agreement. mp4forge and Mediabunny skip the LAME Info (Xing) frame, which carries no audio;
  // codec-parser returns it as a frame: it is dropped here, after checking it is the 1st frame at
  // the Info frame's size and that the rest line up.
  const ref = found.mp4forge;
  const info = lib.parseMp3(bytes.subarray(0, 1 << 16)).infoFrame ?? null;
  const agreement = {};
  for (const n of names) {
    let list = found[n];
    let dropped = 0;
    if (list.length === ref.length + 1 && info && list[0].size === (info.size ?? list[0].size) && list[1].size === ref[0].size) {
      list = list.slice(1).map((f) => ({ ...f, ts: f.ts - list[1].ts }));
      dropped = 1;
    }
    const count = list.length === ref.length;
    let worstTs = 0;
    let sizeMismatch = 0;
    for (let i = 0; i < Math.min(list.length, ref.length); i++) {
      worstTs = Math.max(worstTs, Math.abs(list[i].ts - ref[i].ts));
      if (list[i].size !== ref[i].size) sizeMismatch++;
    }
    agreement[n] = {
      frames: found[n].length,
      infoFrameDropped: dropped,
      framesCompared: list.length,
      countAgrees: count,
      sizeMismatches: sizeMismatch,
      worstTimestampDiffSeconds: worstTs,
      agrees: count && sizeMismatch === 0 && worstTs < 1e-6,
    };
  }
  const disagree = names.filter((n) => !agreement[n].agrees);
  log(
    `MP3 frames: ${names.map((n) => `${n} ${agreement[n].frames}${agreement[n].infoFrameDropped ? ` (−1 Info frame = ${agreement[n].framesCompared})` : ''}`).join(', ')}\n`,
  );
  if (disagree.length) {
    throw new Error(
      `MP3 parsers disagree on ${file}: ${JSON.stringify(agreement, null, 2)}\n(mp4forge is the reference; an Info/Xing frame is accounted for above)`,
    );
  }
  const res = {};
  for (const n of names)
    res[n] = { mbps: round(MB / median(runs[n]), 1), seconds: round(median(runs[n]), 4), runs: runs[n].map((s) => round(s, 4)), ...agreement[n] };
  return {
    file: `${PARSE_MINUTES} min, 128 kbit/s stereo 44.1 kHz, libmp3lame (npm ffmpeg)`,
    bytes: bytes.length,
    api: {
      mp4forge: 'parseMp3(bytes) (frames with data views)',
      mediabunny: 'Input(BufferSource, [MP3]) → EncodedPacketSink.packets() (packets with data)',
      codecParser: "new CodecParser('audio/mpeg').parseAll(bytes) (frames with data, CRC32 off)",
    },
    parsers: res,
    ratios: { vsMediabunny: round(res.mp4forge.mbps / res.mediabunny.mbps, 2), vsCodecParser: round(res.mp4forge.mbps / res.codecParser.mbps, 2) },
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Cold start and package size

/** Bytes on disk (apparent size) of a directory tree. */
function treeBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += treeBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

/** Where Node would find package `name` from `fromDir`: the nearest node_modules/name upwards. */
function findPackage(fromDir, name) {
  for (let d = fromDir; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name, 'package.json');
    if (existsSync(p)) return realpathSync(p);
    if (dirname(d) === d) throw new Error(`${name} is not installed (looked up from ${fromDir})`);
  }
}

/** A package's production dependency closure (name → bytes), resolved as Node does from each dependent. */
function depClosure(pkgJsonPath, seen = new Map()) {
  const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    if (seen.has(dep)) continue;
    const p = findPackage(dirname(pkgJsonPath), dep);
    seen.set(dep, treeBytes(dirname(p)));
    depClosure(p, seen);
  }
  return seen;
}

function packageSizes() {
  const out = {};
  // mp4forge itself: what `npm pack` would install (dist, README, package.json), unpacked.
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  const own = pack.status === 0 ? JSON.parse(pack.stdout)[0].unpackedSize : NaN;
  const mine = depClosure(join(ROOT, 'package.json'));
  const sum = (m) => [...m.values()].reduce((s, v) => s + v, 0);
  out.mp4forge = { ownBytes: own, deps: Object.fromEntries(mine), totalBytes: own + sum(mine) };
  for (const name of ['mediabunny', 'h264-mp4-encoder']) {
    const pj = findPackage(ROOT, name);
    const ownBytes = treeBytes(dirname(pj));
    const deps = depClosure(pj);
    out[name] = { ownBytes, deps: Object.fromEntries(deps), totalBytes: ownBytes + sum(deps) };
  }
  return out;
}

async function coldSection(packetsDir) {
  const impls = ['mp4forge', 'hme', 'mediabunny'];
  const runs = Object.fromEntries(impls.map((i) => [i, []]));
  log('cold start: ');
  for (let r = 0; r < COLD_REPS; r++) {
    for (const impl of impls.map((_, k) => impls[(k + r) % impls.length])) {
      const res = await run(...node('cold', { impl, packets: packetsDir }));
      runs[impl].push({ ...res.json, wallSeconds: res.seconds, peakRssMiB: res.peakRssMiB });
      log('.');
    }
  }
  log(' done\n');
  const sizes = packageSizes();
  const res = {};
  for (const impl of impls) {
    const rs = runs[impl];
    const m = (k) => round(median(rs.map((x) => x[k])), 1);
    res[impl] = {
      processStartMs: m('processStartMs'),
      importMs: m('importMs'),
      firstFrameMs: m('firstFrameMs'),
      finishedMs: m('finishedMs'),
      wallMs: round(median(rs.map((x) => x.wallSeconds * 1000)), 0),
      peakRssMiB: m('peakRssMiB'),
      firstFrameRuns: rs.map((x) => round(x.firstFrameMs, 1)),
    };
  }
  res.mp4forge.installBytes = sizes.mp4forge;
  res.hme.installBytes = sizes['h264-mp4-encoder'];
  res.mediabunny.installBytes = sizes.mediabunny;
  return {
    reps: COLD_REPS,
    what: {
      mp4forge: 'import dist → createMp4Writer(1280×720, output buffer) → addFrame(gradient) resolved; then finish',
      hme: 'import h264-mp4-encoder → createH264MP4Encoder → initialize (1280×720) → addFrameRgba; then finalize + FS.readFile',
      mediabunny:
        'import mediabunny → Output(Mp4OutputFormat in-memory, BufferTarget) → start → add one pre-encoded IDR packet; then finalize. Mediabunny encodes video only through WebCodecs, which Node lacks: no frame is encoded',
    },
    results: res,
  };
}

// ---------------------------------------------------------------------------------------------

let result;
if (args.render) {
  // Re-renders peers.md and peers.svg from a results JSON, without measuring anything.
  result = JSON.parse(readFileSync(String(args.render), 'utf8'));
} else {
const results = { encode: null, mux: null, parse: null, cold: null };
const loads = {};
const section = async (name, fn) => {
  if (!SECTIONS.includes(name)) return;
  const t0 = performance.now();
  results[name] = await fn();
  loads[name] = { loadAverageAfter: os.loadavg().map((x) => round(x, 2)), seconds: round((performance.now() - t0) / 1000, 1) };
};
await section('encode', encodeSection);
let longMp3 = null;
let mp3Generation = null;
if (SECTIONS.some((s) => ['mux', 'parse', 'cold'].includes(s))) {
  log(`${PARSE_MINUTES}-minute MP3… `);
  const made = makeMp3(PARSE_MINUTES * 60, join(os.tmpdir(), `mp4forge-peers-${PARSE_MINUTES}min-128k.mp3`), true);
  longMp3 = made.file;
  mp3Generation = made.generatedSeconds === null ? `reused ${longMp3} from an earlier run` : `generated in ${made.generatedSeconds} s`;
  log(`${mp3Generation}\n`);
}
await section('mux', () => muxSection(longMp3));
await section('parse', () => parseSection(longMp3));
await section('cold', async () => {
  const dir = join(work, 'packets');
  if (!existsSync(join(dir, 'meta.json'))) await writePackets(dir, await bundleInternals(), longMp3, 2);
  return coldSection(dir);
});

const env = environment();
env.loadAverageAtStart = loadStart;
result = {
  name: 'peers',
  command: `node bench/peers.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  versions: Object.fromEntries(['mediabunny', 'codec-parser', 'mp4box'].map((n) => [n, JSON.parse(readFileSync(findPackage(ROOT, n), 'utf8')).version])),
  settings: {
    quick: QUICK,
    reps: REPS,
    noiseReps: NOISE_REPS,
    rawFrames: RAW_FRAMES,
    frames: FRAMES,
    sizes: SIZES.map(([w, h]) => `${w}x${h}`),
    contents: CONTENTS,
    muxReps: MUX_REPS,
    coldReps: COLD_REPS,
    peakRss: TIME ? '/usr/bin/time -v around each process' : 'unavailable (no /usr/bin/time)',
  },
  sections: loads,
  longMp3: mp3Generation,
  ...results,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};
}

const { renderMarkdown, headlineBars } = await import('./lib/peers-report.mjs');
// JSON first, so that a failure while rendering loses no measurement (--render redoes the rest).
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(join(RESULTS_DIR, `${OUT}.json`), `${JSON.stringify(result, null, 2)}\n`);
const md = renderMarkdown(result);
const files = writeResults(OUT, result, md);
writeFileSync(
  join(RESULTS_DIR, `${OUT}.svg`),
  renderSvg(`mp4forge vs peers (${result.environment.date.slice(0, 10)}, ${result.environment.cores} cores)`, headlineBars(result)),
);
console.log(md);
console.log(`wrote ${files.json}, ${files.md} and ${OUT}.svg (${result.runtimeSeconds} s)`);
