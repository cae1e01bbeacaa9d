// checkasm: each v128 kernel of the encoder against its scalar reference, on random input
// (build/h264-checkasm.wasm is built by `npm run build` from src/encode/h264/asm/checkasm.ts).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

type Fn = (...args: number[]) => number;
let x: Record<string, Fn> & { memory: WebAssembly.Memory };
let a = 0;
let b = 0;
const STRIDE_A = 48;
const STRIDE_B = 80;

let seed = 1;
const rnd = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed >>> 24;
};

/** Fills both areas with random bytes, or with extremes (0/255) to reach the kernels' overflow limits. */
function fill(mode: 'random' | 'extreme' | 'close'): void {
  const m = new Uint8Array(x.memory.buffer);
  for (let i = 0; i < 16 * STRIDE_A + 64; i++) m[a + i] = mode === 'extreme' ? (rnd() & 1) * 255 : rnd();
  for (let i = 0; i < 16 * STRIDE_B + 64; i++) {
    m[b + i] = mode === 'extreme' ? (rnd() & 1) * 255 : mode === 'close' ? Math.max(0, Math.min(255, m[a + (i % (16 * STRIDE_A))] + (rnd() % 7) - 3)) : rnd();
  }
}

beforeAll(async () => {
  const { instance } = await WebAssembly.instantiate(readFileSync(new URL('../build/h264-checkasm.wasm', import.meta.url)), { env: { abort: () => { throw new Error('abort'); } } });
  x = instance.exports as typeof x;
  a = x.scratch(16 * STRIDE_A + 128);
  b = x.scratch(16 * STRIDE_B + 128);
});

describe('SIMD kernels equal their scalar references', () => {
  const cases: [string, (o: number, p: number) => [number, number]][] = [
    ['sad16x16', (o, p) => [x.sad16x16(a + o, STRIDE_A, b + p, STRIDE_B), x.sad16x16Ref(a + o, STRIDE_A, b + p, STRIDE_B)]],
    ['satd16x16', (o, p) => [x.satd16x16(a + o, STRIDE_A, b + p, STRIDE_B), x.satdRef(a + o, STRIDE_A, b + p, STRIDE_B, 16, 16)]],
    ['satd8x8', (o, p) => [x.satd8x8(a + o, STRIDE_A, b + p, STRIDE_B), x.satdRef(a + o, STRIDE_A, b + p, STRIDE_B, 8, 8)]],
    ['satd4x4', (o, p) => [x.satd4x4(a + o, STRIDE_A, b + p, STRIDE_B), x.satd4x4Ref(a + o, STRIDE_A, b + p, STRIDE_B)]],
    ['ssd16x16', (o, p) => [x.ssd16x16(a + o, STRIDE_A, b + p, STRIDE_B), x.ssdRef(a + o, STRIDE_A, b + p, STRIDE_B, 16, 16)]],
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
            expect(Array.from(m().subarray(outA + r * 16, outA + r * 16 + 4)), `mode ${mode} avail ${avail} row ${r}`).toEqual(Array.from(m().subarray(outB + r * 16, outB + r * 16 + 4)));
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40 * 20);
  });
});
