// npm run bench:ab -- --b OTHER/dist/index.js: the own encoder of this checkout (A) against another
// build of it (B), in lockstep in one process, to tell whether an encoder change made it faster.
// This VM's speed drifts by 10–30% within minutes (DEVELOPERS.md, "Measuring ratios"), more than
// most changes move it, so timings taken apart compare badly. Here both writers are open at once
// and every frame goes to one, then the other (which one first alternates), each call timed on its
// own (CPU time of this process): both sides share the drift. The frames are I420 (no conversion)
// drawn once with drawPattern, the same for both. Also reports whether the two wrote identical
// bytes, as they must for a change meant to be about speed only.
//
// Options: --b PATH (required: the other build's dist/index.js; a checkout of another commit built
// with `npm run build`), --a PATH (default: this checkout's dist), --pattern noise|plasma|bars|
// gradient|testsrc2 (default noise; testsrc2 from the npm ffmpeg), --size 1280x720, --frames 30, --rounds 3, --qp 26, --speed N (default:
// the encoder's), --input yuv420p|rgba (default yuv420p; rgba times the conversion into the
// encoder too). A sanity check: the same build as A and B (`--b dist/index.js`) reads ~1.00.

import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSeconds, libraryEntry, parseArgs } from './lib/common.mjs';
import { testsrc2Frames } from './lib/content.mjs';

const args = parseArgs();
if (!args.b) throw new Error('--b is required: the dist/index.js of the build to compare with');
const url = (p) => pathToFileURL(isAbsolute(p) ? p : resolve(p)).href;
const A = await import(args.a ? url(String(args.a)) : pathToFileURL(libraryEntry()).href);
// A query string makes a second module instance even when B is the same file as A.
const B = await import(`${url(String(args.b))}?build=b`);
const [W, H] = String(args.size ?? '1280x720').split('x').map(Number);
const frames = Number(args.frames ?? 30);
const rounds = Number(args.rounds ?? 3);
const pattern = String(args.pattern ?? 'noise');
const video = { qp: Number(args.qp ?? 26), gop: 60, ...(args.speed === undefined ? {} : { speed: Number(args.speed) }) };

const pixelFormat = String(args.input ?? 'yuv420p');
if (pixelFormat !== 'yuv420p' && pixelFormat !== 'rgba') throw new Error(`--input ${pixelFormat}: expected yuv420p or rgba`);
const input = [];
// testsrc2 from the npm ffmpeg's lavfi: still areas around moving parts, where other paths run
const lavfi = pattern === 'testsrc2' ? testsrc2Frames(W, H, Math.min(frames, 60)) : null;
for (let i = 0; i < Math.min(frames, 60); i++) {
  const rgba = lavfi ? new Uint8Array(lavfi[i]) : new Uint8Array(W * H * 4);
  if (!lavfi) A.drawPattern(pattern, rgba, W, H, i);
  if (pixelFormat === 'rgba') {
    input.push(rgba);
    continue;
  }
  const yuv = new Uint8Array((W * H * 3) / 2);
  A.toI420(rgba, 'rgba', W, H, yuv);
  input.push(yuv);
}

const opts = { width: W, height: H, fps: 30, output: { buffer: true }, pixelFormat, video };
async function timed(writer, frame) {
  const c0 = cpuSeconds();
  await writer.addFrame(frame);
  return (cpuSeconds() - c0) * 1000;
}

// Warm-up, untimed: V8 compiles WebAssembly in tiers, and the hot functions of each build's module
// should be optimised before either side is timed.
for (const lib of [A, B]) {
  const w = await lib.createMp4Writer(opts);
  for (let i = 0; i < Math.min(frames, 8); i++) await w.addFrame(input[i]);
  await w.finish();
}

let totalA = 0;
let totalB = 0;
const perRound = [];
let identical = true;
for (let r = 0; r < rounds; r++) {
  const wa = await A.createMp4Writer(opts);
  const wb = await B.createMp4Writer(opts);
  let ra = 0;
  let rb = 0;
  for (let i = 0; i < frames; i++) {
    const f = input[i % input.length];
    if ((i + r) % 2 === 0) {
      ra += await timed(wa, f);
      rb += await timed(wb, f);
    } else {
      rb += await timed(wb, f);
      ra += await timed(wa, f);
    }
  }
  const [oa, ob] = [await wa.finish(), await wb.finish()];
  const hash = (d) => createHash('sha256').update(d).digest('hex');
  identical &&= hash(oa.data) === hash(ob.data);
  totalA += ra;
  totalB += rb;
  perRound.push(rb / ra);
}
const ms = (t) => (t / frames / rounds).toFixed(2);
console.log(
  `${W}x${H} ${pattern} (${pixelFormat} in), qp ${video.qp}${video.speed === undefined ? '' : `, speed ${video.speed}`}, ${frames} frames × ${rounds} rounds: ` +
    `A ${ms(totalA)} ms/frame, B ${ms(totalB)} ms/frame (CPU); B/A ${(totalB / totalA).toFixed(3)} ` +
    `(rounds ${perRound.map((x) => x.toFixed(3)).join(', ')}); identical bytes: ${identical ? 'yes' : 'no'}`,
);
