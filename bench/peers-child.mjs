// One measurement of bench/peers.mjs in a fresh process, so that its peak RSS belongs to that
// measurement alone. Prints one JSON line on stdout. Modes:
//
//   encode --variant mp4forge --encoder E --width W --height H --frames N --out FILE [--qp Q]
//          [--workers N] [--audio MP3]
//          N RGBA frames arrive on stdin (as they do for ffmpeg/libx264), are read with the public
//          readRawFrames and go through the public API (createMp4Writer with video.encoder E) into
//          a faststart file.
//   encode --variant inproc --input rgba|yuv420p --encoder E --ring R --frames N ... [--qp Q]
//          [--workers N]
//          R RGBA frames arrive on stdin first; then N frames (the ring cycled) are encoded,
//          timed by this process: I420 into memory (the raw encoder) or RGBA into a file.
//          [--go FILE]: runs started together wait for FILE before the clock starts.
//          [--warm]: a first file of the same kind is written before the clock (off it), through a
//          WorkerPool of N workers when --workers N: the clock then times a second file, as in a
//          program that keeps its workers (or, with one thread, its loaded encoder) between files.
//   encode --variant lockstep --encoder E --ring R --frames N --block B --out FILE ... [--qp Q]
//          the raw encoder (I420 → memory) and the end-to-end path (RGBA → FILE, faststart), both
//          open at once in this process and fed in turns of B frames (which goes first alternates),
//          each writer's calls timed on their own: the two share every drift of the machine.
//   mux    --impl mp4forge|mediabunny --layout faststart|fragmented --packets DIR [--out FILE]
//          muxes the packets bench/peers.mjs wrote to DIR (H.264 + MP3) into memory.
//   cold   --impl mp4forge|hme|mediabunny [--packets DIR] [--memory-output JSON]
//          import → first frame encoded (Mediabunny: first packet muxed), timed from the import.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSeconds, frameSplitter, libraryEntry, parseArgs } from './lib/common.mjs';

const args = parseArgs();
const MODE = String(args.mode);
/** The build's in-memory `output` value ({ buffer: true }, or 'buffer' in mp4forge 0.1), found by bench/peers.mjs. */
const MEMORY_OUTPUT = JSON.parse(String(args['memory-output'] ?? '"buffer"'));
const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;
const done = (r) => process.stdout.write(`${JSON.stringify({ ...r, maxRssMiB: Math.round(maxRssMiB() * 10) / 10 })}\n`);

/**
 * Yields RGBA frames of `size` bytes read from stdin (each valid until the next is asked for), the
 * way a program that takes frames from a pipe reads them with the library: `readRawFrames(0, size)`,
 * which reads a pipe on a thread of its own, so that reading overlaps encoding. A build without it
 * (an older mp4forge) gets them cut from process.stdin's chunks, in one reused buffer.
 */
async function* stdinFrames(lib, size) {
  if (typeof lib.readRawFrames === 'function') {
    const frames = lib.readRawFrames(0, size);
    let r;
    while (!(r = await frames.next()).done) yield r.value;
    if (r.value.leftover) throw new Error('stdin ended mid-frame');
    return;
  }
  const frames = frameSplitter(size);
  for await (const chunk of process.stdin) yield* frames.split(chunk);
  if (frames.partial) throw new Error('stdin ended mid-frame');
}

/**
 * For runs started together: says it is ready (`GO.ready-<pid>`, once the ring is loaded), then
 * waits for bench/peers.mjs to create GO, so that every run's clock starts at the same moment.
 */
async function startTogether(go) {
  writeFileSync(`${go}.ready-${process.pid}`, '');
  while (!existsSync(go)) await new Promise((r) => setTimeout(r, 1));
}

/** The packets written by bench/peers.mjs (packetsFor): avcC, one GOP of H.264 samples, an MP3. */
export function readPackets(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const video = readFileSync(join(dir, 'video.bin'));
  const gop = [];
  let o = 0;
  for (const s of meta.video.samples) {
    gop.push({ data: new Uint8Array(video.buffer, video.byteOffset + o, s.size), sync: s.sync });
    o += s.size;
  }
  return { meta, avcC: new Uint8Array(readFileSync(join(dir, 'avcC.bin'))), gop, mp3: new Uint8Array(readFileSync(join(dir, 'audio.mp3'))) };
}

/**
 * The ring of `ringSize` RGBA frames of width x height that comes first on stdin, kept as RGBA
 * copies (`rgba`) and/or converted to I420 (`yuv`), before any clock starts.
 */
async function readRing(lib, width, height, ringSize, { rgba = false, yuv = false }) {
  const ring = { rgba: [], yuv: [] };
  let n = 0;
  for await (const f of stdinFrames(lib, width * height * 4)) {
    n++;
    if (yuv) {
      const y = new Uint8Array((width * height * 3) / 2);
      lib.toI420(f, 'rgba', width, height, y);
      ring.yuv.push(y);
    }
    if (rgba) ring.rgba.push(new Uint8Array(f));
  }
  if (n !== ringSize) throw new Error(`stdin had ${n} frames, expected ${ringSize}`);
  return ring;
}

async function encode() {
  const W = Number(args.width);
  const H = Number(args.height);
  const N = Number(args.frames);
  const variant = String(args.variant);
  const out = String(args.out);
  const lib = await import(pathToFileURL(libraryEntry()).href);
  // Every mp4forge variant names its encoder: the bench never measures whatever the default is.
  const video = { encoder: String(args.encoder), ...(args.qp !== undefined ? { qp: Number(args.qp) } : {}) };
  if (variant === 'mp4forge') {
    // RGBA frames from stdin, as a program producing frames would hand them over, to a file.
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const w = await lib.createMp4Writer({
      width: W, height: H, fps: 30, output: out, layout: 'faststart', video,
      ...(args.audio ? { audio: String(args.audio) } : {}),
      ...(args.workers ? { workers: Number(args.workers) } : {}),
    });
    let n = 0;
    for await (const f of stdinFrames(lib, W * H * 4)) {
      await w.addFrame(f);
      n++;
    }
    const r = await w.finish();
    if (r.frames !== N || n !== N) throw new Error(`mp4forge wrote ${r.frames} of ${n} frames, expected ${N}`);
    const encodeSeconds = (performance.now() - t0) / 1000;
    return done({ variant, encodeSeconds, encodeCpu: cpuSeconds() - c0, bytes: r.bytes, frames: N, videoEncoder: r.videoEncoder });
  }
  if (variant === 'inproc') {
    // The encoder's own rate against the same encoder end to end, both timed by this process's
    // clock from createMp4Writer to finish: --input yuv420p gets frames converted before the clock
    // and writes into memory (the raw encoder, plus a negligible in-memory mux); --input rgba gets
    // the RGBA frames and writes a faststart file (end to end). The ring arrives on stdin first.
    const input = String(args.input);
    const rings = await readRing(lib, W, H, Number(args.ring), input === 'yuv420p' ? { yuv: true } : { rgba: true });
    const ring = input === 'yuv420p' ? rings.yuv : rings.rgba;
    const pool = args.warm && args.workers ? await lib.createWorkerPool({ workers: Number(args.workers) }) : null;
    const workers = pool ?? (args.workers ? Number(args.workers) : 0);
    const open = (output) => lib.createMp4Writer({ width: W, height: H, fps: 30, video, pixelFormat: input, ...output, ...(workers ? { workers } : {}) });
    if (args.warm) {
      // One frame into the second chunk (the default GOP at 30 fps is 60 frames): every worker has
      // opened its encoder and coded, so each answered its init and goes back to the pool.
      const first = await open({ output: MEMORY_OUTPUT });
      for (let i = 0; i < 61; i++) await first.addFrame(ring[i % ring.length]);
      await first.finish();
    }
    if (args.go) await startTogether(String(args.go));
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const w = await open(input === 'yuv420p' ? { output: MEMORY_OUTPUT } : { output: out, layout: 'faststart' });
    for (let i = 0; i < N; i++) await w.addFrame(ring[i % ring.length]);
    const r = await w.finish();
    const encodeSeconds = (performance.now() - t0) / 1000;
    const encodeCpu = cpuSeconds() - c0;
    if (r.frames !== N) throw new Error(`mp4forge wrote ${r.frames} frames, expected ${N}`);
    if (pool) {
      // The timed file ran on the threads the first one left: none was replaced.
      if (pool.threadsStarted !== pool.workers) throw new Error(`the pool started ${pool.threadsStarted} threads for ${pool.workers} workers`);
      await pool.close();
    }
    // Epoch milliseconds of the clock's start and end: runs started together (--go) are measured
    // by the span from the first start to the last end.
    const startedAt = performance.timeOrigin + t0;
    const endedAt = startedAt + encodeSeconds * 1000;
    return done({ variant, input, encodeSeconds, encodeCpu, bytes: r.bytes, frames: N, videoEncoder: r.videoEncoder, startedAt, endedAt });
  }
  if (variant === 'lockstep') {
    // Raw and end to end timed in turns of `block` frames inside one process (see the header): the
    // VM's speed drifts over seconds, which process-level pairs see as a spread of 0.6-1.45 in
    // their ratio; turns of a fraction of a second share the drift. A third writer, the raw
    // encoder fed the same RGBA as end to end (its conversion into the encoder included, output in
    // memory), splits what end to end adds into the conversion and the rest.
    const block = Number(args.block ?? 10);
    const { rgba, yuv } = await readRing(lib, W, H, Number(args.ring), { rgba: true, yuv: true });
    const ms = { raw: 0, e2e: 0, rawRgb: 0 };
    const cpu = { raw: 0, e2e: 0, rawRgb: 0 };
    const timed = async (k, f) => {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      const r = await f();
      ms[k] += performance.now() - t0;
      cpu[k] += cpuSeconds() - c0;
      return r;
    };
    const common = { width: W, height: H, fps: 30, video };
    const writers = {
      raw: await timed('raw', () => lib.createMp4Writer({ ...common, pixelFormat: 'yuv420p', output: MEMORY_OUTPUT })),
      e2e: await timed('e2e', () => lib.createMp4Writer({ ...common, output: out, layout: 'faststart' })),
      rawRgb: await timed('rawRgb', () => lib.createMp4Writer({ ...common, output: MEMORY_OUTPUT })),
    };
    // The third writer reads its own copy of the RGBA frames, so that neither RGBA writer finds
    // frames the other has just read still in cache; and the turns go through all six orders, so
    // that each writer follows each other one as often.
    const rings = { raw: yuv, e2e: rgba, rawRgb: rgba.map((f) => new Uint8Array(f)) };
    const orders = [
      ['raw', 'e2e', 'rawRgb'],
      ['rawRgb', 'e2e', 'raw'],
      ['e2e', 'raw', 'rawRgb'],
      ['rawRgb', 'raw', 'e2e'],
      ['raw', 'rawRgb', 'e2e'],
      ['e2e', 'rawRgb', 'raw'],
    ];
    for (let start = 0, turn = 0; start < N; start += block, turn++) {
      for (const k of orders[turn % orders.length]) {
        await timed(k, async () => {
          for (let i = start; i < Math.min(N, start + block); i++) await writers[k].addFrame(rings[k][i % rings[k].length]);
        });
      }
    }
    const r = {
      raw: await timed('raw', () => writers.raw.finish()),
      e2e: await timed('e2e', () => writers.e2e.finish()),
      rawRgb: await timed('rawRgb', () => writers.rawRgb.finish()),
    };
    for (const k of ['raw', 'e2e', 'rawRgb']) if (r[k].frames !== N) throw new Error(`lockstep ${k} wrote ${r[k].frames} frames, expected ${N}`);
    // Same frames, same encoder: the same bytes, unless the in-encoder conversion differed from toI420.
    for (const k of ['e2e', 'rawRgb']) if (r.raw.bytes !== r[k].bytes) throw new Error(`lockstep: raw wrote ${r.raw.bytes} bytes, ${k} ${r[k].bytes}`);
    return done({
      variant,
      rawSeconds: ms.raw / 1000,
      e2eSeconds: ms.e2e / 1000,
      rawCpu: cpu.raw,
      e2eCpu: cpu.e2e,
      rawRgbSeconds: ms.rawRgb / 1000,
      rawRgbCpu: cpu.rawRgb,
      bytes: r.e2e.bytes,
      frames: N,
      block,
      videoEncoder: r.e2e.videoEncoder,
    });
  }
  throw new Error(`unknown variant ${variant}`);
}

/**
 * Both muxers get the same samples in the same order: video and audio interleaved by decode time.
 * The video is the GOP repeated to `meta.video.frames`; the audio the MP3's frames covering as long.
 */
function schedule(p, mp3Frames) {
  const fps = p.meta.video.fps;
  const nv = p.meta.video.frames;
  const spf = mp3Frames[0].samples;
  const sr = p.meta.audio.sampleRate;
  const na = Math.min(mp3Frames.length, Math.ceil((nv / fps) * sr / spf));
  const order = [];
  let v = 0;
  let a = 0;
  while (v < nv || a < na) {
    if (a >= na || (v < nv && v / fps <= (a * spf) / sr)) order.push([0, v++]);
    else order.push([1, a++]);
  }
  return { order, nv, na, spf, sr, fps };
}

async function mux() {
  const p = readPackets(String(args.packets));
  const lib = await import(pathToFileURL(libraryEntry()).href);
  const mp3 = lib.parseMp3(p.mp3);
  const s = schedule(p, mp3.frames);
  const { width, height } = p.meta.video;
  const layout = String(args.layout);
  const impl = String(args.impl);
  const inputBytes = s.nv / p.gop.length * p.meta.video.gopBytes + mp3.frames.slice(0, s.na).reduce((x, f) => x + f.size, 0);
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  let data;
  const c0 = cpuSeconds();
  const t0 = performance.now();
  if (impl === 'mp4forge') {
    // The muxers behind createMp4Writer (src/mux), from the esbuild bundle bench/peers.mjs made.
    const m = await import(pathToFileURL(String(process.env.MP4FORGE_PEERS_INTERNALS)).href);
    const sink = new m.MemorySink();
    const tracks = [
      { kind: 'video', avcC: p.avcC, width, height, timescale: 90000, colour: { primaries: 1, transfer: 13, matrix: 6, fullRange: false } },
      { kind: 'audio', codec: 'mp3', sampleRate: s.sr, channels: mp3.format.channels, objectTypeIndication: 0x6b, timescale: s.sr },
    ];
    const muxer = layout === 'fragmented' ? new m.FragmentedMuxer({ sink, tracks }) : new m.Mp4Muxer({ layout: 'faststart', sink, tracks });
    const vd = 90000 / s.fps;
    for (const [t, k] of s.order) {
      if (t === 0) {
        const g = p.gop[k % p.gop.length];
        await muxer.addSample(0, { data: g.data, duration: vd, sync: g.sync });
      } else await muxer.addSample(1, { data: mp3.frames[k].data, duration: s.spf, sync: true });
    }
    await muxer.endTrack(0);
    await muxer.endTrack(1);
    await muxer.finish();
    data = sink.data();
  } else if (impl === 'mediabunny') {
    const mb = await import('mediabunny');
    const output = new mb.Output({
      format: new mb.Mp4OutputFormat({ fastStart: layout === 'fragmented' ? 'fragmented' : 'in-memory' }),
      target: new mb.BufferTarget(),
    });
    const video = new mb.EncodedVideoPacketSource('avc');
    const audio = new mb.EncodedAudioPacketSource('mp3');
    output.addVideoTrack(video, { frameRate: s.fps });
    output.addAudioTrack(audio);
    await output.start();
    const vmeta = { decoderConfig: { codec: p.meta.video.codec, codedWidth: width, codedHeight: height, description: p.avcC } };
    const ameta = { decoderConfig: { codec: 'mp3', sampleRate: s.sr, numberOfChannels: mp3.format.channels } };
    for (const [t, k] of s.order) {
      if (t === 0) {
        const g = p.gop[k % p.gop.length];
        await video.add(new mb.EncodedPacket(g.data, g.sync ? 'key' : 'delta', k / s.fps, 1 / s.fps), k === 0 ? vmeta : undefined);
      } else await audio.add(new mb.EncodedPacket(mp3.frames[k].data, 'key', (k * s.spf) / s.sr, s.spf / s.sr), k === 0 ? ameta : undefined);
    }
    await output.finalize();
    data = new Uint8Array(output.target.buffer);
  } else throw new Error(`unknown muxer ${impl}`);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  if (args.out) writeFileSync(String(args.out), data);
  done({ impl, layout, seconds, cpu, bytes: data.length, inputBytes, videoPackets: s.nv, audioPackets: s.na, rssBeforeMiB: Math.round(rssBefore * 10) / 10 });
}

async function cold() {
  const impl = String(args.impl);
  // performance.now() counts from the start of this process; the import is the first thing timed.
  const tStart = performance.now();
  let tImported;
  let tFirst;
  if (impl === 'mp4forge') {
    const lib = await import(pathToFileURL(libraryEntry()).href);
    tImported = performance.now();
    const w = await lib.createMp4Writer({ width: 1280, height: 720, fps: 30, output: MEMORY_OUTPUT });
    const frame = new Uint8Array(1280 * 720 * 4);
    lib.drawPattern('gradient', frame, 1280, 720, 0);
    await w.addFrame(frame);
    tFirst = performance.now();
    await w.finish();
  } else if (impl === 'hme') {
    const mod = await import('h264-mp4-encoder');
    const HME = typeof mod.createH264MP4Encoder === 'function' ? mod : mod.default;
    tImported = performance.now();
    const e = await HME.createH264MP4Encoder();
    e.width = 1280;
    e.height = 720;
    e.frameRate = 30;
    e.initialize();
    const frame = new Uint8Array(1280 * 720 * 4).fill(128);
    e.addFrameRgba(frame);
    tFirst = performance.now();
    e.finalize();
    e.FS.readFile(e.outputFilename);
    e.delete();
  } else if (impl === 'mediabunny') {
    // Mediabunny has no H.264 encoder of its own in Node (it encodes through WebCodecs), so its
    // first "frame" is a pre-encoded packet muxed into an in-memory faststart MP4.
    const mb = await import('mediabunny');
    tImported = performance.now();
    const p = readPackets(String(args.packets));
    const output = new mb.Output({ format: new mb.Mp4OutputFormat({ fastStart: 'in-memory' }), target: new mb.BufferTarget() });
    const video = new mb.EncodedVideoPacketSource('avc');
    output.addVideoTrack(video, { frameRate: 30 });
    await output.start();
    const meta = { decoderConfig: { codec: p.meta.video.codec, codedWidth: p.meta.video.width, codedHeight: p.meta.video.height, description: p.avcC } };
    await video.add(new mb.EncodedPacket(p.gop[0].data, 'key', 0, 1 / 30), meta);
    tFirst = performance.now();
    await output.finalize();
  } else throw new Error(`unknown impl ${impl}`);
  const tEnd = performance.now();
  done({ impl, processStartMs: tStart, importMs: tImported - tStart, firstFrameMs: tFirst - tStart, finishedMs: tEnd - tStart });
}

if (MODE === 'encode') await encode();
else if (MODE === 'mux') await mux();
else if (MODE === 'cold') await cold();
else throw new Error(`unknown --mode ${MODE}`);
