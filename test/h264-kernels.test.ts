// checkasm: each v128 kernel of the encoder against its scalar reference, on random input
// (build/h264-checkasm.wasm is built by `npm run build` from src/encode/h264/asm/checkasm.ts).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lcg } from './helpers/random.js';

type Fn = (...args: number[]) => number;
let x: Record<string, Fn> & { memory: WebAssembly.Memory };
let a = 0;
let b = 0;
const STRIDE_A = 48;
const STRIDE_B = 80;

const next = lcg(1);
const rnd = () => next() >>> 24;

/** Fills both areas with random bytes, or with extremes (0/255) to reach the kernels' overflow limits. */
function fill(mode: 'random' | 'extreme' | 'close'): void {
  const m = new Uint8Array(x.memory.buffer);
  for (let i = 0; i < 16 * STRIDE_A + 64; i++) m[a + i] = mode === 'extreme' ? (rnd() & 1) * 255 : rnd();
  for (let i = 0; i < 16 * STRIDE_B + 64; i++) {
    m[b + i] = mode === 'extreme' ? (rnd() & 1) * 255 : mode === 'close' ? Math.max(0, Math.min(255, m[a + (i % (16 * STRIDE_A))] + (rnd() % 7) - 3)) : rnd();
  }
}

beforeAll(async () => {
  const bytes = readFileSync(new URL('../build/h264-checkasm.wasm', import.meta.url));
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort: () => { throw new Error('abort'); } } });
  x = instance.exports as typeof x;
  a = x.scratch(16 * STRIDE_A + 128);
  b = x.scratch(16 * STRIDE_B + 128);
});

describe('SIMD kernels equal their scalar references', () => {
  const cases: [string, (o: number, p: number) => [number, number]][] = [
    ['sad16x16', (o, p) => [x.sad16x16(a + o, STRIDE_A, b + p, STRIDE_B), x.sad16x16Ref(a + o, STRIDE_A, b + p, STRIDE_B)]],
    ['satd16x16', (o, p) => [x.satd16x16(a + o, STRIDE_A, b + p, STRIDE_B), x.satdRef(a + o, STRIDE_A, b + p, STRIDE_B, 16, 16)]],
    ['satdI16', (o, p) => [x.satdI16(a + o, STRIDE_A, b + p, STRIDE_B), x.satdI16Ref(a + o, STRIDE_A, b + p, STRIDE_B)]],
    ['satd8x8', (o, p) => [x.satd8x8(a + o, STRIDE_A, b + p, STRIDE_B), x.satdRef(a + o, STRIDE_A, b + p, STRIDE_B, 8, 8)]],
    ['satd4x4', (o, p) => [x.satd4x4(a + o, STRIDE_A, b + p, STRIDE_B), x.satd4x4Ref(a + o, STRIDE_A, b + p, STRIDE_B)]],
    ['ssd16x16', (o, p) => [x.ssd16x16(a + o, STRIDE_A, b + p, STRIDE_B), x.ssdRef(a + o, STRIDE_A, b + p, STRIDE_B, 16, 16)]],
    ['sadBlocks8x8', (o, p) => [x.sadBlocks8x8(a + o, STRIDE_A, b + p, STRIDE_B), x.sadBlocks8x8Ref(a + o, STRIDE_A, b + p, STRIDE_B)]],
  ];
  for (const [name, run] of cases) {
    it(name, () => {
      for (const mode of ['random', 'extreme', 'close'] as const) {
        for (let t = 0; t < 50; t++) {
          fill(mode);
          const o = rnd() % 17; // unaligned starts
          const p = rnd() % 33;
          const [simd, ref] = run(o, p);
          expect(simd, `${name} ${mode} #${t}`).toBe(ref);
        }
      }
    });
  }
});

describe('decimateScore equals its scalar reference', () => {
  it('sparse ±1 levels at every run length, a level > 1 anywhere, the DC position with and without it', () => {
    const lev = new Int16Array(x.memory.buffer, a, 16);
    const cases: number[][] = [];
    // every single ±1 at every position, and every pair (all runs between and before them)
    for (let i = 0; i < 16; i++) cases.push(Array.from({ length: 16 }, (_, k) => (k === i ? (i & 1 ? -1 : 1) : 0)));
    for (let i = 0; i < 16; i++) for (let j = i + 1; j < 16; j++) cases.push(Array.from({ length: 16 }, (_, k) => (k === i ? 1 : k === j ? -1 : 0)));
    for (let t = 0; t < 3000; t++) {
      const density = [0.1, 0.25, 0.6][t % 3];
      cases.push(
        Array.from({ length: 16 }, () => {
          if (rnd() / 256 >= density) return 0;
          const r = rnd();
          return r < 8 ? [2, -2, 3, -200, 32767, -32768][r % 6] : r & 1 ? 1 : -1;
        }),
      );
    }
    cases.push(new Array(16).fill(0));
    let nines = 0;
    let dcOnlyBig = 0;
    for (const c of cases) {
      lev.set(c);
      for (const start of [0, 1]) {
        const ref = x.decimateScoreRef(a, start);
        expect(x.decimateScore(a, start), `${c.join(',')} from ${start}`).toBe(ref);
        if (ref === 9) nines++;
        if (start === 1 && x.decimateScoreRef(a, 0) === 9 && ref !== 9) dcOnlyBig++;
      }
    }
    // the cases reach both outcomes, including a large level at position 0 that start 1 must ignore
    expect(nines).toBeGreaterThan(100);
    expect(dcOnlyBig).toBeGreaterThan(0);
  });
});

describe('sad4x4Within equals its scalar reference and the SADs of the blocks', () => {
  it('at the largest block SAD, one under it and a random limit', () => {
    for (const mode of ['random', 'extreme', 'close'] as const) {
      for (let t = 0; t < 50; t++) {
        fill(mode);
        const o = rnd() % 17;
        const p = rnd() % 33;
        const m = new Uint8Array(x.memory.buffer);
        let most = 0;
        for (let k = 0; k < 16; k++) {
          let sad = 0;
          for (let i = 0; i < 16; i++) {
            const row = (k >> 2) * 4 + (i >> 2);
            const col = (k & 3) * 4 + (i & 3);
            sad += Math.abs(m[a + o + row * STRIDE_A + col] - m[b + p + row * STRIDE_B + col]);
          }
          most = Math.max(most, sad);
        }
        for (const limit of [most, most - 1, rnd() * 16]) {
          const want = most <= limit ? 1 : 0;
          expect(x.sad4x4Within(a + o, STRIDE_A, b + p, STRIDE_B, limit), `${mode} #${t} limit ${limit} (largest ${most})`).toBe(want);
          expect(x.sad4x4WithinRef(a + o, STRIDE_A, b + p, STRIDE_B, limit)).toBe(want);
        }
      }
    }
  });
});

describe('intra 4x4 prediction equals the formulas of 8.3.1.2', () => {
  it('all nine modes, every neighbour availability', () => {
    const m = () => new Uint8Array(x.memory.buffer);
    let checked = 0;
    for (let t = 0; t < 40; t++) {
      fill('random');
      const rec = a + 5 * STRIDE_A + 8; // neighbours above and to the left exist in the buffer
      const outA = b;
      const outB = b + 64;
      for (let mode = 0; mode < 9; mode++) {
        for (let avail = 0; avail < 16; avail++) {
          const [left, top, topLeft, topRight] = [avail & 1, avail & 2, avail & 4, avail & 8].map((v) => (v ? 1 : 0));
          if (topLeft && !(left && top)) continue;
          if (topRight && !top) continue;
          if (!x.predict4x4Both(rec, STRIDE_A, mode, left, top, topLeft, topRight, outA, outB)) continue;
          for (let r = 0; r < 4; r++) {
            const got = Array.from(m().subarray(outA + r * 16, outA + r * 16 + 4));
            expect(got, `mode ${mode} avail ${avail} row ${r}`).toEqual(Array.from(m().subarray(outB + r * 16, outB + r * 16 + 4)));
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40 * 20);
  });
});

describe('RGB → I420 in WASM equals the JS conversion (src/encode/convert.ts)', () => {
  it('rgba, bgra and rgb24 at sizes with and without a vector tail', async () => {
    const { toI420 } = await import('../src/encode/convert.js');
    const formats = [['rgba', 0, 4], ['bgra', 1, 4], ['rgb24', 2, 3]] as const;
    for (const [w, h] of [[64, 4], [38, 6], [2, 2], [322, 10], [32, 2]] as const) {
      for (const [name, code, bpp] of formats) {
        const src = new Uint8Array(w * h * bpp);
        for (let i = 0; i < src.length; i++) src[i] = rnd();
        if (w === 64) for (let i = 0; i < src.length; i += 7) src[i] = i & 1 ? 255 : 0; // extremes
        if (w === 32) {
          // 2x2 blocks of the eight saturated colours, forwards then backwards: where the kernel's
          // weighted sums reach their bounds (it reads samples from fixed bytes of the sums)
          for (let y = 0; y < 2; y++) {
            for (let x = 0; x < 32; x++) {
              const c = x >> 1 < 8 ? x >> 1 : 15 - (x >> 1);
              for (let k = 0; k < bpp; k++) src[(y * w + x) * bpp + k] = k < 3 && (c >> k) & 1 ? 255 : 0;
            }
          }
        }
        const expected = new Uint8Array((w * h * 3) / 2);
        toI420(src, name, w, h, expected);
        const p = x.scratch(src.length + 64);
        const out = x.scratch(expected.length + 64);
        new Uint8Array(x.memory.buffer).set(src, p);
        x.rgbToI420(p, code, w, h, out, out + w * h, out + (w * h * 5) / 4);
        expect(Buffer.compare(new Uint8Array(x.memory.buffer, out, expected.length), expected), `${name} ${w}x${h}`).toBe(0);
      }
    }
  });
});

describe('transform, quantisation and interpolation kernels equal their scalar references', () => {
  const mem = () => new Uint8Array(x.memory.buffer);
  const i16 = (p: number, n: number) => new Int16Array(x.memory.buffer, p, n);
  it('fdct16x16 (residual + forward transform)', () => {
    x.init();
    const out = x.scratch(2048);
    for (const mode of ['random', 'extreme', 'close'] as const) {
      for (let t = 0; t < 20; t++) {
        fill(mode);
        expect(x.checkFdct(a + (rnd() % 16), STRIDE_A, b + (rnd() % 32), STRIDE_B, out, out + 1024), `${mode} #${t}`).toBe(-1);
      }
    }
  });
  it('quantBlocks, every qp, intra and inter, with and without the DC', () => {
    x.init();
    const coef = x.scratch(512);
    const out = x.scratch(1024 + 64);
    for (let qp = 0; qp <= 51; qp++) {
      const c = i16(coef, 256);
      // transform-sized values, extremes included (|c| up to 9180 for 8-bit residuals, 32640 for DC sums)
      for (let i = 0; i < 256; i++) c[i] = (rnd() - 128) * (qp % 3 === 0 ? 71 : qp % 3 === 1 ? 3 : 255);
      for (const intra of [0, 1]) {
        for (const start of [0, 1]) expect(x.checkQuant(coef, qp, intra, start, out, out + 512, out + 1024), `qp ${qp} intra ${intra} start ${start}`).toBe(-1);
      }
    }
  });
  it('quantisation follows its rule: intra rounds at 1/3 of a step; inter zeroes below 1/6 and rounds the rest at 20/64', () => {
    // MF per qp % 6 and position class (ITU-T H.264 8.5.12 inverted: the encoder's usual table).
    const MF = [
      [13107, 5243, 8066],
      [11916, 4660, 7490],
      [10082, 4194, 6554],
      [9362, 3647, 5825],
      [8192, 3355, 5243],
      [7282, 2893, 4559],
    ];
    const cls = (i: number) => ((i & 1) === 0 && ((i >> 2) & 1) === 0 ? 0 : (i & 1) === 1 && ((i >> 2) & 1) === 1 ? 1 : 2);
    x.init();
    const coef = x.scratch(512);
    const out = x.scratch(1024 + 64);
    for (const qp of [0, 5, 17, 22, 26, 30, 38, 51]) {
      const c = i16(coef, 256);
      for (let i = 0; i < 256; i++) c[i] = (rnd() - 128) * (qp % 2 === 0 ? 13 : 71);
      const qbits = 15 + Math.floor(qp / 6);
      for (const intra of [0, 1]) {
        x.checkQuant(coef, qp, intra, 0, out, out + 512, out + 1024);
        const got = i16(out + 512, 256);
        let changed = 0;
        for (let i = 0; i < 256; i++) {
          const a = Math.abs(c[i]) * MF[qp % 6][cls(i % 16)];
          const single = Math.floor((a + Math.floor(2 ** qbits / (intra ? 3 : 6))) / 2 ** qbits);
          let want = single;
          if (!intra && single !== 0) want = Math.floor((a + 20 * 2 ** (qbits - 6)) / 2 ** qbits);
          if (want !== single) changed++;
          expect(Math.abs(got[i]), `qp ${qp} intra ${intra} #${i}`).toBe(Math.min(want, 2063));
          if (want !== 0) expect(Math.sign(got[i])).toBe(Math.sign(c[i]));
        }
        // the second rounding must have mattered somewhere at this qp
        if (!intra) expect(changed, `qp ${qp}`).toBeGreaterThan(0);
      }
    }
  });
  it('dequant4x4', () => {
    x.init();
    const lev = x.scratch(32);
    const out = x.scratch(64);
    for (let qp = 0; qp <= 51; qp++) {
      const l = i16(lev, 16);
      for (let i = 0; i < 16; i++) l[i] = (rnd() % 9) - 4;
      for (const start of [0, 1]) expect(x.checkDequant(lev, qp, start, out, out + 32), `qp ${qp}`).toBe(-1);
    }
  });
  it('idct8x4Add (two blocks) vs idct4x4Add', () => {
    const coef = x.scratch(64);
    const dst = x.scratch(2 * 4 * 64);
    for (let t = 0; t < 200; t++) {
      const c = i16(coef, 32);
      const scale = t % 4 === 0 ? 800 : 40; // dequantised magnitudes, small and large
      for (let i = 0; i < 32; i++) c[i] = rnd() % 3 === 0 ? ((rnd() - 128) * scale) >> 4 : 0;
      const m = mem();
      for (let i = 0; i < 4 * 64; i++) m[dst + i] = m[dst + 256 + i] = rnd();
      expect(x.checkIdct(coef, coef + 32, dst, dst + 256, 64), `#${t}`).toBe(-1);
    }
  });
  it('half-sample planes (6-tap b, h, j)', () => {
    const stride = 96;
    const src = x.scratch(stride * 12);
    const out = x.scratch(6 * (61 + 64));
    const tmp = x.scratch((61 + 32) * 2);
    // 61: a vector body and a scalar tail; 16: a motion-compensation tile; 5: a tail alone
    for (const n of [61, 16, 5]) {
      for (const mode of ['random', 'extreme'] as const) {
        for (let t = 0; t < 20; t++) {
          const m = mem();
          for (let i = 0; i < stride * 12; i++) m[src + i] = mode === 'extreme' ? (rnd() & 1) * 255 : rnd();
          for (const combined of [true, false]) {
            expect(x.checkHalfRows(src + stride * 4 + 8, stride, n, out, tmp, combined ? 1 : 0), `n ${n} ${mode} #${t} combined ${combined}`).toBe(-1);
          }
        }
      }
    }
  });
  it('half-sample planes of a whole tile (the sliding vertical filter)', () => {
    // a 16x16 tile at row 4, column 8 of a 32-byte stride: the filter reads rows 2..21, columns 6..29
    const src = x.scratch(32 * 26);
    const out = x.scratch(4 * 16 * 32);
    for (const mode of ['random', 'extreme'] as const) {
      for (let t = 0; t < 12; t++) {
        const m = mem();
        for (let i = 0; i < 32 * 26; i++) m[src + i] = mode === 'extreme' ? (rnd() & 1) * 255 : rnd();
        // every set of planes computeTile asks for: h, v, j alone and together
        for (let planes = 1; planes < 8; planes++) {
          expect(x.checkHalfTile(src + 32 * 4 + 8, planes, out), `planes ${planes} ${mode} #${t}`).toBe(-1);
        }
      }
    }
  });
  it('chroma eighth-sample interpolation', () => {
    const out = x.scratch(128);
    for (let t = 0; t < 100; t++) {
      fill(t % 2 ? 'random' : 'extreme');
      const fx = rnd() & 7;
      const fy = rnd() & 7;
      x.chromaBlockSimd(a, STRIDE_A, out, fx, fy);
      x.chromaBlockRef(a, STRIDE_A, out + 64, fx, fy);
      const m = mem();
      expect(Array.from(m.subarray(out, out + 64)), `fx ${fx} fy ${fy}`).toEqual(Array.from(m.subarray(out + 64, out + 128)));
    }
  });
});

// encodeInterLuma and encodeChroma skip the transform when SADs say every level is zero (dct.ts
// zeroSadInter, zeroSadChromaDc). Each bound must hold for every residual under it, and be tight:
// one more and the worst-shaped residual (its SAD in the four corners of a block, signed as the
// (1,1) basis function, which reaches 4 x SAD) leaves a level.
describe('the inter transform skip: every residual under the bounds quantises to nothing', () => {
  const size = 16 * 16;
  const setup = () => {
    x.init();
    const src = x.scratch(size);
    const pred = x.scratch(size);
    const work = x.scratch(512 + 512 + 64 + 64);
    const mem = () => new Uint8Array(x.memory.buffer);
    const flat = () => {
      mem().fill(128, src, src + size);
      mem().fill(128, pred, pred + size);
    };
    /** Adds `v` to the source sample (bx * 4 + dx, by * 4 + dy) of a plane of stride `s`. */
    const add = (s: number, bx: number, by: number, dx: number, dy: number, v: number) => {
      mem()[src + (by * 4 + dy) * s + bx * 4 + dx] += v;
    };
    /** Puts a residual of SAD `sad` (at most 4 x 127) in the corners of block (bx, by): + - - +. */
    const corners = (s: number, bx: number, by: number, sad: number) => {
      const part = [0, 1, 2, 3].map((i) => Math.floor(sad / 4) + (i < sad % 4 ? 1 : 0));
      add(s, bx, by, 0, 0, part[0]);
      add(s, bx, by, 3, 0, -part[1]);
      add(s, bx, by, 0, 3, -part[2]);
      add(s, bx, by, 3, 3, part[3]);
    };
    /** A random residual of SAD at most `sad` in block (bx, by) (samples within ±127). */
    const randomBlock = (s: number, bx: number, by: number, sad: number) => {
      let left = sad;
      for (let k = 0; k < 16 && left > 0; k++) {
        const v = Math.min(left, 127, rnd() % (Math.ceil(sad / 4) + 1));
        add(s, bx, by, rnd() & 3, rnd() & 3, 0); // keeps the generator's sequence independent of v
        add(s, bx, by, k & 3, k >> 2, rnd() & 1 ? v : -v);
        left -= v;
      }
    };
    return { src, pred, work, flat, add, corners, randomBlock };
  };

  it('luma: the worst shape at the bound codes nothing and one more codes a level; random shapes under it code nothing', () => {
    const { src, pred, work, flat, corners, randomBlock } = setup();
    const levels = () => x.interLumaLevels(src, 16, pred, 16, qp, work, work + 512, work + 1024);
    let qp = 0;
    for (qp = 0; qp <= 51; qp++) {
      const t = x.zeroSadLuma(qp);
      expect(t, `qp ${qp}`).toBeGreaterThan(0);
      const bx = rnd() & 3;
      const by = rnd() & 3;
      flat();
      corners(16, bx, by, t);
      expect([x.sad4x4Within(src, 16, pred, 16, t), x.sad4x4Within(src, 16, pred, 16, t - 1)]).toEqual([1, 0]);
      expect(levels(), `qp ${qp}: SAD ${t}`).toBe(0);
      flat();
      corners(16, bx, by, t + 1);
      expect(levels(), `qp ${qp}: SAD ${t + 1}`).toBeGreaterThan(0);
      for (let r = 0; r < 20; r++) {
        flat();
        for (let k = 0; k < 16; k++) randomBlock(16, k & 3, k >> 2, t);
        expect(x.sad4x4Within(src, 16, pred, 16, t)).toBe(1);
        expect(levels(), `qp ${qp}: random #${r}`).toBe(0);
      }
    }
  });

  it('chroma: the DC bound on the sum of the four blocks and the AC bound on each, both tight', () => {
    const { src, pred, work, flat, add, corners, randomBlock } = setup();
    const levels = () => x.interChromaLevels(src, 8, pred, 8, qp, work, work + 512, work + 1024);
    const packed = () => x.sadBlocks8x8(src, 8, pred, 8);
    let qp = 0;
    let dcTight = 0;
    for (qp = 0; qp <= 51; qp++) {
      const ac = x.zeroSadLuma(qp);
      const dc = x.zeroSadDc(qp);
      // DC: a flat positive residual, the sum spread over the blocks, each within the AC bound
      const flatDc = (sum: number) => {
        flat();
        for (let k = 0; k < 4; k++) {
          let part = Math.floor(sum / 4) + (k < sum % 4 ? 1 : 0);
          for (let i = 0; part > 0; i++) {
            const v = Math.min(part, 127);
            add(8, k & 1, k >> 1, i & 3, i >> 2, v);
            part -= v;
          }
        }
      };
      const sum = Math.min(dc, 4 * ac);
      flatDc(sum);
      expect(packed() >>> 16).toBe(sum);
      expect(packed() & 0xffff).toBeLessThanOrEqual(ac);
      expect(levels(), `qp ${qp}: DC sum ${sum}`).toBe(0);
      if (Math.ceil((dc + 1) / 4) <= ac) {
        flatDc(dc + 1);
        expect(levels(), `qp ${qp}: DC sum ${dc + 1}`).toBeGreaterThan(0);
        dcTight++;
      }
      // AC: the corner shape (no DC) in one block
      const k = rnd() & 3;
      flat();
      corners(8, k & 1, k >> 1, ac);
      expect(levels(), `qp ${qp}: AC SAD ${ac}`).toBe(0);
      flat();
      corners(8, k & 1, k >> 1, ac + 1);
      expect(levels(), `qp ${qp}: AC SAD ${ac + 1}`).toBeGreaterThan(0);
      for (let r = 0; r < 20; r++) {
        flat();
        for (let b = 0; b < 4; b++) randomBlock(8, b & 1, b >> 1, Math.min(ac, Math.floor(dc / 4)));
        const p = packed();
        expect((p & 0xffff) <= ac && p >>> 16 <= dc).toBe(true);
        expect(levels(), `qp ${qp}: random #${r}`).toBe(0);
      }
    }
    expect(dcTight).toBeGreaterThan(40);
  });
});

describe('16x16 and chroma intra predictions equal the formulas of 8.3.3 / 8.3.4', () => {
  it('every mode and neighbour availability, random and extreme neighbours', () => {
    const out = x.scratch(512);
    let checked = 0;
    for (let t = 0; t < 30; t++) {
      fill(t % 3 === 0 ? 'extreme' : 'random');
      const rec = a + 1 * STRIDE_A + 1; // p[-1, -1] exists
      for (const chroma of [0, 1]) {
        for (let mode = 0; mode < 4; mode++) {
          for (const [left, top] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
            const r = x.checkPredictBlock(chroma, mode, rec, STRIDE_A, left, top, out, out + 256);
            expect(r === -1 || r === -2, `chroma ${chroma} mode ${mode} left ${left} top ${top}: sample ${r}`).toBe(true);
            if (r === -1) checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(30 * 2 * 8);
  });
});

describe('deblocking edge filters equal their scalar references', () => {
  it('luma and chroma, vertical and horizontal, every bS pattern, qp 0..51', () => {
    const S = 64; // stride of the test area
    const area = S * 40;
    const pa = x.scratch(area + 64);
    const pb = x.scratch(area + 64);
    const bsPatterns = [0x04040404, 0x03030303, 0x02020202, 0x01020001, 0x00000000, 0x02010102, 0x00000300];
    let filtered = 0;
    for (let qp = 0; qp <= 51; qp += 3) {
      for (const bs of bsPatterns) {
        for (const vertical of [true, false]) {
          for (const chroma of [false, true]) {
            const m = new Uint8Array(x.memory.buffer);
            // smooth-ish content with a step across the edge, so that every filter branch is reached
            const base = rnd();
            for (let i = 0; i < area; i++) {
              const step = ((i % S) >= 16 === vertical ? (rnd() % 24) - 12 : 0) + (Math.floor(i / S) >= 8 && !vertical ? 10 : 0);
              m[pa + i] = Math.max(0, Math.min(255, base + (rnd() % 9) - 4 + step));
            }
            m.copyWithin(pb, pa, pa + area);
            const q0off = vertical ? 2 * S + 16 : 8 * S + 4;
            const before = Buffer.from(m.subarray(pa, pa + area));
            const diff = x.checkDeblock(pa, pb, area, q0off, S, Number(vertical), Number(chroma), 20 * S, qp, bs);
            expect(diff, `qp ${qp} bS ${bs.toString(16)} vertical ${vertical} chroma ${chroma}`).toBe(0);
            if (Buffer.compare(before, Buffer.from(new Uint8Array(x.memory.buffer, pa, area))) !== 0) filtered++;
          }
        }
      }
    }
    expect(filtered, 'cases where the filter changed samples').toBeGreaterThan(100);
  });

  it('each lane takes its own segment\'s bS: random bS per segment across small steps on smooth content, qp 30..51', () => {
    const S = 64;
    const area = S * 40;
    const pa = x.scratch(area + 64);
    const pb = x.scratch(area + 64);
    let filtered = 0;
    for (let t = 0; t < 400; t++) {
      const qp = 30 + (rnd() % 22);
      // bS 0..3 for each 4-sample segment, or 4 on all of them (a macroblock edge with an intra side)
      const bs = rnd() % 8 === 0 ? 0x04040404 : [0, 1, 2, 3].reduce((v, k) => v | ((rnd() % 4) << (8 * k)), 0);
      const vertical = (t & 1) === 0;
      const chroma = (t & 2) === 0;
      // the q side: columns from 16 (vertical edges), rows 8..19 and from 28 (horizontal: the U edge
      // at row 8, the V edge 20 rows further); a step of 2..5 there, which alpha and beta let through
      const qSide = (row: number, col: number) => (vertical ? col >= 16 : (row >= 8 && row < 20) || row >= 28);
      const step = (2 + (rnd() % 4)) * (rnd() & 1 ? 1 : -1);
      const base = 60 + (rnd() % 128);
      const m = new Uint8Array(x.memory.buffer);
      for (let i = 0; i < area; i++) m[pa + i] = base + (rnd() % 3) - 1 + (qSide(Math.floor(i / S), i % S) ? step : 0);
      m.copyWithin(pb, pa, pa + area);
      const q0off = vertical ? 2 * S + 16 : 8 * S + 4;
      const before = Buffer.from(m.subarray(pa, pa + area));
      const diff = x.checkDeblock(pa, pb, area, q0off, S, Number(vertical), Number(chroma), 20 * S, qp, bs);
      expect(diff, `#${t} qp ${qp} bS ${bs.toString(16)} vertical ${vertical} chroma ${chroma}`).toBe(0);
      if (Buffer.compare(before, Buffer.from(new Uint8Array(x.memory.buffer, pa, area))) !== 0) filtered++;
    }
    expect(filtered, 'cases where the filter changed samples').toBeGreaterThan(300);
  });
});
