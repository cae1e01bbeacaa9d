// The own encoder's byte-identity guard: short clips that reach every decision of the encoder
// (motion search and sub-sample refinement, P_Skip, intra in P pictures, Intra16x16 against
// Intra4x4, plane prediction, decimation, rate control), coded at every speed, hashed and compared
// with hashes checked into test/fixtures/encoder-hashes.json.
//
// Why a guard and not only the rate-distortion tests (decide-mutants, h264-oracle): many decisions
// trade a few tenths of a percent of bytes, which no small clip measures against x264 reliably.
// Two such changes survived the mutation pass (the intra-in-P rule without its SAD clause, the
// Intra16x16 DC-Hadamard cost at speeds 9-10): each moved plasma's bytes by under 1% at 176x144,
// up or down, and only bench:sweep's BD-rate saw them. Here any change to the coded bytes fails,
// so a decision changes only on purpose: after one, measure it (bench:sweep, bench:peers), then
// regenerate with `MP4FORGE_UPDATE_HASHES=1 npx vitest run test/encoder-hashes.test.ts` and say why
// in the commit. That the streams decode, and to the encoder's own reconstruction, is
// test/h264-oracle's job.
import { createHash } from 'node:crypto';
import { describe, it } from 'vitest';
import type { EncoderParams } from '../src/encode/backend.js';
import { toI420 } from '../src/encode/convert.js';
import { AsmH264Encoder } from '../src/encode/h264/wasm-encoder.js';
import { drawPattern } from '../src/generate/patterns.js';
import { hashGuard } from './helpers/hash-guard.js';
import { lcg } from './helpers/random.js';

const check = hashGuard(new URL('./fixtures/encoder-hashes.json', import.meta.url));

const W = 176;
const H = 144;
const FRAMES = 10;

function fromRgba(draw: (rgba: Uint8Array) => void): Uint8Array {
  const rgba = new Uint8Array(W * H * 4);
  draw(rgba);
  const yuv = new Uint8Array((W * H * 3) / 2);
  toI420(rgba, 'rgba', W, H, yuv);
  return yuv;
}

/**
 * Fresh noise in a patch over ramps that brighten each frame: intra in P pictures (noise), P_Skip
 * and small residuals (the ramps' brightening), plane prediction (the ramps in the IDR).
 */
function noiseOnRamps(): Uint8Array[] {
  const next = lcg(3);
  return Array.from({ length: FRAMES }, (_, i) => {
    const f = new Uint8Array((W * H * 3) / 2);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) f[y * W + x] = 20 + ((3 * x + 5 * y) >> 2) + 2 * i;
    // noise from 60 levels wide to 130, a step each macroblock column: motion search's start costs
    // on either side of the threshold where intra is tried before the search (analyse.ts, step 2)
    for (let y = 32; y < 96; y++) for (let x = 32; x < 160; x++) f[y * W + x] = 64 + (((next() >>> 24) * (60 + 10 * ((x - 32) >> 4))) >> 8);
    const cw = W / 2;
    for (let y = 0; y < H / 2; y++) {
      for (let x = 0; x < cw; x++) {
        f[W * H + y * cw + x] = 60 + x + (y >> 1);
        f[W * H + (W * H) / 4 + y * cw + x] = 200 - x - (y >> 2);
      }
    }
    return f;
  });
}

const CLIPS: Record<string, () => Uint8Array[]> = {
  plasma: () => Array.from({ length: FRAMES }, (_, i) => fromRgba((p) => drawPattern('plasma', p, W, H, i))),
  bars: () => Array.from({ length: FRAMES }, (_, i) => fromRgba((p) => drawPattern('bars', p, W, H, i))),
  'noise on ramps': noiseOnRamps,
};

async function hash(p: EncoderParams, frames: Uint8Array[]): Promise<string> {
  const enc = await AsmH264Encoder.create(p);
  const h = createHash('sha256');
  try {
    h.update(enc.config.sps[0]).update(enc.config.pps[0]);
    for (const f of frames) for (const s of enc.encode(f)) h.update(s.data);
  } finally {
    enc.close();
  }
  return h.digest('hex');
}

describe('the own encoder codes the same bytes (checked-in SHA-256)', () => {
  for (const [name, clip] of Object.entries(CLIPS)) {
    it(`${name}: every speed at qp 26, and at 250 kbps`, async () => {
      const frames = clip();
      // gop 6: a second IDR (a new chunk, rate control restarted) at frame 6
      const base = { width: W, height: H, fpsNum: 30, fpsDen: 1, gop: 6 };
      for (let speed = 0; speed <= 10; speed++) {
        check(`${name}, speed ${speed}, qp 26`, await hash({ ...base, qp: 26, kbps: 0, speed }, frames));
        check(`${name}, speed ${speed}, 250 kbps`, await hash({ ...base, qp: 26, kbps: 250, speed }, frames));
      }
    });
  }

  it('plasma with fresh noise in frames 12-19, 40 frames in one GOP at 120 and 400 kbps (rate control learning as P pictures change cost), speeds 0, 6 and 9', async () => {
    const next = lcg(5);
    const frames = Array.from({ length: 40 }, (_, i) =>
      fromRgba((p) => {
        drawPattern('plasma', p, W, H, i);
        if (i >= 12 && i < 20) for (let k = 0; k < p.length; k += 4) if ((k >> 2) % W < W / 2) p[k] = p[k + 1] = p[k + 2] = next() >>> 24;
      }),
    );
    for (const kbps of [120, 400]) {
      for (const speed of [0, 6, 9]) {
        const p = { width: W, height: H, fpsNum: 30, fpsDen: 1, gop: 60, qp: 26, kbps, speed };
        check(`plasma and noise x40, speed ${speed}, ${kbps} kbps`, await hash(p, frames));
      }
    }
  });
});
