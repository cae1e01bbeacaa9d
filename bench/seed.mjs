// npm run bench:seed — the seed's exact job: 10,000 frames of 1920×1080 random RGBA noise at 30 fps
// with an MP3 soundtrack, every core encoding (renderVideo, workers 'auto'), to a file over 4 GiB.
// Then the file is checked with ffprobe/ffmpeg: 10,000 video packets (-count_packets, no full
// decode), a clean decode (-xerror) of the last 100 frames, and a seek to the middle that lands on
// a keyframe, decodes cleanly and gives the right frame (PSNR against the noise frame redrawn here,
// and against its neighbours, which must be far worse). The output is deleted afterwards.
//
// Layout: faststart (moov in front, the default and what a file for players/HTTP wants); the time
// finish() spends moving the media data to make room for the moov is reported separately.
// Encoder speed: the library default (what a user gets); --speed N measures another preset.
// Runs outside CI. Options: --frames --width --height --fps --workers --layout --speed
// --dir (where the output goes; default os.tmpdir()) --keep --out seed
import { spawnSync } from 'node:child_process';
import { rmSync, statfsSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  BENCH_DIR, FFMPEG, FFPROBE, TIME, environment, environmentMd, libraryEntry, loadLibrary, mdTable, median, parseArgs, round, runNodeChild,
  writeResults,
} from './lib/common.mjs';

const args = parseArgs();
const FRAMES = Number(args.frames ?? 10000);
const WIDTH = Number(args.width ?? 1920);
const HEIGHT = Number(args.height ?? 1080);
const FPS = Number(args.fps ?? 30);
const WORKERS = String(args.workers ?? 'auto');
const LAYOUT = String(args.layout ?? 'faststart');
const DIR = String(args.dir ?? os.tmpdir());
// Encoder speed 0..10; null: the library default.
const SPEED = args.speed === undefined ? null : Number(args.speed);
const log = (s) => process.stderr.write(`[seed ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

libraryEntry();
const lib = await loadLibrary();
// The dist snapshot is taken now; HEAD may move during an hour-long run.
const libraryCommit = environment().commit;
const out = join(DIR, `mp4forge-seed-${process.pid}.mp4`);
const mp3 = join(DIR, `mp4forge-seed-${process.pid}.mp3`);

// Disk: noise at 1080p is about 1.5 MiB a frame at the default qp; faststart moves data in place.
const fsStat = statfsSync(DIR);
const freeGiB = (fsStat.bavail * fsStat.bsize) / 2 ** 30;
const needGiB = (FRAMES * WIDTH * HEIGHT * 0.8) / 2 ** 30 + 1;
log(`free space in ${DIR}: ${freeGiB.toFixed(1)} GiB (need about ${needGiB.toFixed(1)} GiB)`);
if (freeGiB < needGiB) throw new Error(`not enough free space in ${DIR}: ${freeGiB.toFixed(1)} GiB, need about ${needGiB.toFixed(1)} GiB (use --dir)`);

const cleanup = () => {
  if (!args.keep) rmSync(out, { force: true });
  rmSync(mp3, { force: true });
};
process.on('exit', cleanup);
// Interrupted (e.g. a deadline on a busy machine): keep what was measured so far in <out>-partial.
const progress = [];
let renderStarted = 0;
const partialLoads = [];
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (progress.length) {
      const env = environment();
      const last = progress.at(-1);
      const partial = {
        name: 'seed (interrupted)',
        environment: env,
        frames: FRAMES,
        width: WIDTH,
        height: HEIGHT,
        fps: FPS,
        workers: WORKERS,
        layout: LAYOUT,
        speed: SPEED,
        secondsSinceRenderStart: round((Date.now() - renderStarted) / 1000, 1),
        progress,
        load: partialLoads,
      };
      const md = [
        '# mp4forge seed job — interrupted',
        '',
        environmentMd(env),
        '',
        `Interrupted after ${last.frames} of ${FRAMES} frames (${WIDTH}×${HEIGHT} noise, workers ${WORKERS}, ${LAYOUT}, speed ${SPEED ?? 'default'}); the render had run ${partial.secondsSinceRenderStart} s. 1-minute load averages during the run: ${partialLoads.map((x) => round(x, 1)).join(', ')}.`,
        '',
        mdTable(
          ['frames muxed', 'at (s)', 'average fps so far', 'process RSS (MiB)'],
          progress.map((p) => [p.frames, p.seconds, p.fps, p.rssMiB]),
        ),
      ].join('\n');
      writeResults(`${String(args.out ?? 'seed')}-partial`, partial, md);
    }
    process.exit(130);
  });
}

try {
  // 1. The soundtrack: a 2-channel 44.1 kHz MP3 as long as the video plus a second, written by the
  // npm ffmpeg (libmp3lame, 128 kbps): an MP3 from elsewhere, muxed as is. (lamejs in JS would
  // take over a minute for this length on a busy machine; the library's own PCM → MP3 path is
  // covered by the audio tests.)
  const seconds = Math.ceil(FRAMES / FPS) + 1;
  const tA = performance.now();
  const gen = run(FFMPEG, [
    '-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=3:duration=${seconds}`, '-f', 'lavfi', '-i',
    `sine=frequency=660:duration=${seconds}`, '-filter_complex', '[0:a][1:a]amerge=inputs=2,volume=0.5', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a',
    '128k', '-y', mp3,
  ]);
  if (gen.status !== 0) throw new Error(`ffmpeg could not write the MP3: ${gen.stderr}`);
  log(`MP3: ${seconds} s, ${(statSync(mp3).size / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - tA) / 1000).toFixed(1)} s`);

  // 2. The render, in a child process; the machine load is sampled while it runs.
  const loads = partialLoads;
  const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 15000);
  renderStarted = Date.now();
  const script = [
    join(BENCH_DIR, 'seed-child.mjs'),
    '--frames',
    String(FRAMES),
    '--width',
    String(WIDTH),
    '--height',
    String(HEIGHT),
    '--fps',
    String(FPS),
    '--workers',
    WORKERS,
    '--layout',
    LAYOUT,
    '--audio',
    mp3,
    '--out',
    out,
    ...(SPEED === null ? [] : ['--speed', String(SPEED)]),
  ];
  log(`rendering ${FRAMES} frames ${WIDTH}×${HEIGHT} noise, workers ${WORKERS}, ${LAYOUT} → ${out}`);
  const onStderr = (d) => {
    for (const l of d.trim().split('\n')) {
      const m = /^(\d+) frames, ([\d.]+) fps, rss (\d+) MiB/.exec(l);
      if (!m) continue;
      progress.push({ frames: Number(m[1]), seconds: round((Date.now() - renderStarted) / 1000, 1), fps: Number(m[2]), rssMiB: Number(m[3]) });
      log(l);
    }
  };
  let child;
  try {
    child = await runNodeChild(script, { label: 'the render', env: { SEED_VERBOSE: '1' }, onStderr });
  } finally {
    clearInterval(loadTimer);
  }
  if (loads.length === 0) loads.push(os.loadavg()[0]);
  const render = child.json;
  render.timeMaxRssMiB = child.timePeakRssMiB;
  const size = statSync(out).size;
  log(
    `rendered: ${render.frames} frames, ${(size / 2 ** 30).toFixed(2)} GiB in ${render.wallSeconds.toFixed(0)} s, peak RSS ${render.maxRssMiB.toFixed(0)} MiB`,
  );

  // 3. Checks with the ffmpeg/ffprobe oracles.
  const checks = {};
  const tC = performance.now();
  const probe = run(FFPROBE, [
    '-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,nb_read_packets,nb_frames,width,height,r_frame_rate:format=duration,size',
    '-of', 'json', out,
  ]);
  const pj = JSON.parse(probe.stdout);
  const v = pj.streams.find((s) => s.codec_type === 'video');
  const a = pj.streams.find((s) => s.codec_type === 'audio');
  checks.videoPackets = Number(v?.nb_read_packets);
  checks.audioPackets = Number(a?.nb_read_packets);
  checks.formatDuration = Number(pj.format.duration);
  checks.probeOk = probe.status === 0 && probe.stderr.trim() === '' && checks.videoPackets === FRAMES && v.width === WIDTH && v.height === HEIGHT;
  log(`ffprobe: ${checks.videoPackets} video packets, ${checks.audioPackets} audio packets, ${checks.formatDuration} s`);

  // The last 100 frames: seek to the keyframe 100 frames before the end (GOP 60 → 2 s keyframes;
  // with 10,000 frames that is frame 9900 at 330 s) and decode to the end with -xerror.
  const gop = Math.round(2 * FPS);
  const tailStart = Math.max(0, Math.floor((FRAMES - 100) / gop) * gop);
  const tail = run(FFMPEG, ['-hide_banner', '-v', 'error', '-xerror', '-ss', String(tailStart / FPS), '-i', out, '-map', '0:v', '-f', 'framecrc', '-']);
  checks.tailDecodedFrames = tail.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
  checks.tailFromFrame = tailStart;
  checks.tailOk = tail.status === 0 && tail.stderr.trim() === '' && checks.tailDecodedFrames === FRAMES - tailStart && checks.tailDecodedFrames >= 100;
  log(
    `tail decode from frame ${tailStart}: ${checks.tailDecodedFrames} frames, ${tail.status === 0 && !tail.stderr.trim() ? 'clean' : `errors: ${tail.stderr.slice(0, 300)}`}`,
  );

  // Seek to the middle: the packet ffprobe reads first at that point is a keyframe, and ffmpeg's
  // accurate seek decodes exactly frame `mid` (PSNR against the redrawn noise frame).
  const mid = Math.floor(FRAMES / 2) + 1;
  const midT = (mid - 0.3) / FPS;
  const first = run(FFPROBE, [
    '-v', 'error', '-select_streams', 'v:0', '-read_intervals', `${midT}%+#1`, '-show_entries', 'packet=pts_time,flags', '-of', 'json', out,
  ]);
  const pkt = JSON.parse(first.stdout).packets?.[0];
  checks.seekPacket = pkt ?? null;
  // Luma only: random RGB noise loses most of its colour to 4:2:0 subsampling, so an RGB PSNR would
  // be low for the right frame too; the Y plane survives (about qp 26 quality) and tells frames apart.
  const seekFrame = run(
    FFMPEG,
    ['-hide_banner', '-v', 'error', '-xerror', '-ss', String(midT), '-i', out, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
    'buffer',
  );
  const decoded = seekFrame.stdout;
  const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
  const yuv = new Uint8Array((WIDTH * HEIGHT * 3) / 2);
  const psnrAt = (i) => {
    lib.drawPattern('noise', rgba, WIDTH, HEIGHT, i);
    lib.toI420(rgba, 'rgba', WIDTH, HEIGHT, yuv);
    return lumaPsnr(yuv, decoded, WIDTH * HEIGHT);
  };
  checks.seekFrame = mid;
  checks.seekPsnr = round(psnrAt(mid), 2);
  checks.neighbourPsnr = [round(psnrAt(mid - 1), 2), round(psnrAt(mid + 1), 2)];
  checks.seekOk = seekFrame.status === 0 && seekFrame.stderr.trim() === '' && decoded.length === (WIDTH * HEIGHT * 3) / 2 && pkt?.flags?.includes('K') &&
    checks.seekPsnr > Math.max(...checks.neighbourPsnr) + 10;
  log(
    `seek to ${midT.toFixed(3)} s: first packet ${JSON.stringify(pkt)}; frame ${mid} PSNR ${checks.seekPsnr} dB (neighbours ${checks.neighbourPsnr.join(', ')} dB)`,
  );
  checks.seconds = round((performance.now() - tC) / 1000, 1);

  const env = environment();
  const result = {
    name: 'seed',
    command: `node bench/seed.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    environment: env,
    job: {
      frames: FRAMES,
      width: WIDTH,
      height: HEIGHT,
      fps: FPS,
      scene: 'noise (random RGBA, a new frame each time)',
      audio: `MP3 ${seconds} s, 44.1 kHz stereo 128 kbps (two sines, ffmpeg libmp3lame)`,
      workers: WORKERS,
      resolvedWorkers: render.resolvedWorkers,
      layout: LAYOUT,
      video: `qp 26 (default), speed ${SPEED ?? 'default'}, GOP 60 (default)`,
    },
    render: {
      wallSeconds: round(render.wallSeconds, 1),
      fps: round(FRAMES / render.wallSeconds, 2),
      framesSeconds: round(render.framesSeconds, 1),
      finishSeconds: round(render.finishSeconds, 1),
      bytes: size,
      GiB: round(size / 2 ** 30, 2),
      maxRssMiB: round(render.maxRssMiB, 1),
      timeMaxRssMiB: render.timeMaxRssMiB === null ? null : round(render.timeMaxRssMiB, 1),
      sampledPeakRssMiB: round(render.sampledPeakRssMiB, 1),
      audio: render.audio,
      along: render.along,
    },
    load: { samples: loads.length, min: round(Math.min(...loads), 2), median: round(median(loads), 2), max: round(Math.max(...loads), 2) },
    checks,
    libraryCommit,
    ok: checks.probeOk && checks.tailOk && checks.seekOk && size > 4 * 2 ** 30,
  };
  const r = result.render;
  const md = [
    '# mp4forge seed job',
    '',
    `Command: \`npm run bench:seed\` (= \`npm run build && ${result.command}\`).`,
    '',
    environmentMd(env),
    '',
    `The job: ${FRAMES} frames of ${WIDTH}×${HEIGHT} random RGBA noise at ${FPS} fps, drawn and encoded by \`renderVideo\` in ${render.resolvedWorkers} worker threads (workers: ${WORKERS}), ` +
      `with a ${seconds} s MP3 soundtrack, layout ${LAYOUT}, video ${result.job.video}. The render ran alone in a child process; ` +
      `the machine's 1-minute load average during the run (sampled every 15 s) was ${result.load.min} to ${result.load.max} (median ${result.load.median}) on ${env.cores} cores — other jobs shared the machine.`,
    '',
    mdTable(
      ['wall time', 'fps', 'output', 'peak RSS (maxRSS, main + workers)', ...(TIME ? ['peak RSS (time -v)'] : []), 'of which finish() (faststart move)'],
      [
        [
          `${r.wallSeconds} s`,
          r.fps,
          `${r.GiB} GiB (${size} bytes)`,
          `${r.maxRssMiB} MiB`,
          ...(TIME ? [`${r.timeMaxRssMiB} MiB`] : []),
          `${r.finishSeconds} s`,
        ],
      ],
    ),
    '',
    'Checks:',
    '',
    mdTable(
      ['check', 'result', 'ok'],
      [
        ['ffprobe -count_packets: video packets', checks.videoPackets, checks.probeOk ? 'yes' : 'NO'],
        ['ffprobe: audio packets, duration', `${checks.audioPackets}, ${checks.formatDuration} s`, ''],
        [
          `ffmpeg -xerror decode from frame ${tailStart} to the end`,
          `${checks.tailDecodedFrames} frames, ${checks.tailOk ? 'clean' : 'errors'}`,
          checks.tailOk ? 'yes' : 'NO',
        ],
        [`seek to frame ${mid}: first packet read`, JSON.stringify(checks.seekPacket), checks.seekPacket?.flags?.includes('K') ? 'keyframe' : 'NO'],
        [
          `seek to frame ${mid}: luma PSNR vs the redrawn frame (vs frames ${mid - 1}, ${mid + 1})`,
          `${checks.seekPsnr} dB (${checks.neighbourPsnr.join(', ')} dB)`,
          checks.seekOk ? 'yes' : 'NO',
        ],
      ],
    ),
    '',
    'RSS along the way (MiB, process RSS when the muxed frame count passed each 5%):',
    '',
    r.along.map((s) => `${s.frame}: ${s.rssMiB}`).join(' · '),
    '',
    `Checks took ${checks.seconds} s. The output was deleted afterwards. The library was built from commit ${libraryCommit} when the run started (the commit above is HEAD at the end).`,
  ].join('\n');
  const files = writeResults(String(args.out ?? 'seed'), result, md);
  console.log(JSON.stringify(result, null, 2));
  console.log(`\n${md}\n`);
  console.log(`wrote ${files.json} and ${files.md}`);
  if (!result.ok) process.exitCode = 1;
} finally {
  cleanup();
}

function run(bin, argv, encoding = 'utf8') {
  const r = spawnSync(bin, argv, { maxBuffer: 1 << 30, encoding: encoding === 'buffer' ? 'buffer' : 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: String(r.stderr ?? '') };
}

function lumaPsnr(a, b, n) {
  let se = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    se += d * d;
  }
  const mse = se / n;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
