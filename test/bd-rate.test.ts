// The Bjøntegaard delta rate the peers bench reports (bench/lib/bd-rate.mjs), against cases computed
// by hand (curves whose log-rates differ by a known polynomial, integrated on paper) and against
// numpy's polyfit/polyint (the classic VCEG-M33 procedure) on curves that no cubic fits exactly.
import { describe, expect, it } from 'vitest';
import { atPsnr, bdRate, bdRateDetailed, polyfit } from '../bench/lib/bd-rate.mjs';

/** Points with log10(rate) = f(psnr). */
const curve = (psnrs: number[], log10Rate: (p: number) => number) => psnrs.map((psnr) => ({ psnr, rate: 10 ** log10Rate(psnr) }));
const base = (p: number) => 2 + 0.1 * p;

describe('bdRate', () => {
  it('is the constant rate ratio when one curve is the other scaled', () => {
    const ref = curve([30, 32, 34, 36, 38], base);
    const test = ref.map((q) => ({ psnr: q.psnr, rate: q.rate * 0.9 }));
    expect(bdRate(ref, test)).toBeCloseTo(-10, 9);
    expect(bdRate(test, ref)).toBeCloseTo((1 / 0.9 - 1) * 100, 9);
  });

  it('averages a quadratic log-rate difference over the common range (4 points, exact cubic fit)', () => {
    // Δlog10 R = 0.001 (P − 30)² on [30, 36]: mean = 0.001 · 6² / 3 = 0.012, so 10^0.012 − 1 = 2.8016%.
    const ref = curve([30, 32, 34, 36], base);
    const test = curve([30, 32, 34, 36], (p) => base(p) + 0.001 * (p - 30) ** 2);
    expect(bdRate(ref, test)).toBeCloseTo((10 ** 0.012 - 1) * 100, 9);
    expect(bdRate(ref, test)).toBeCloseTo(2.8016, 3);
  });

  it('integrates over the overlap only', () => {
    // Test covers [31, 37], reference [30, 36]: overlap [31, 36]. Δlog10 R = 0.01 (P − 30), whose
    // mean over [31, 36] is 0.01 · 3.5 = 0.035: 10^0.035 − 1 = 8.3927%.
    const ref = curve([30, 32, 34, 36], base);
    const test = curve([31, 33, 35, 37], (p) => base(p) + 0.01 * (p - 30));
    const d = bdRateDetailed(ref, test);
    expect(d?.lowDb).toBe(31);
    expect(d?.highDb).toBe(36);
    expect(d?.percent).toBeCloseTo((10 ** 0.035 - 1) * 100, 9);
    expect(d?.percent).toBeCloseTo(8.3927, 3);
  });

  it('recovers a cubic difference from five points by least squares', () => {
    // Δlog10 R = 0.0001 (P − 30)³ on [30, 38]: mean = 0.0001 · 8⁴ / 4 / 8 = 0.0128 → 2.9913%.
    const ps = [30, 32, 34, 36, 38];
    const r = bdRate(
      curve(ps, base),
      curve(ps, (p) => base(p) + 0.0001 * (p - 30) ** 3),
    );
    expect(r).toBeCloseTo((10 ** 0.0128 - 1) * 100, 8);
    expect(r).toBeCloseTo(2.9913, 3);
  });

  it('agrees with numpy polyfit(psnr, log(rate), 3) + polyint on curves no cubic fits exactly', () => {
    // The 4-point example: numpy gives 31.39737405490792 over [31.42, 40.28].
    const r1 = [686.76, 309.58, 157.11, 85.95];
    const p1 = [40.28, 37.18, 34.24, 31.42];
    const r2 = [893.34, 407.8, 204.93, 112.75];
    const p2 = [40.39, 37.21, 34.17, 31.24];
    const d = bdRateDetailed(
      r1.map((rate, i) => ({ rate, psnr: p1[i] })),
      r2.map((rate, i) => ({ rate, psnr: p2[i] })),
    );
    expect(d?.percent).toBeCloseTo(31.39737405490792, 8);
    expect([d?.lowDb, d?.highDb]).toEqual([31.42, 40.28]);
    // Five points each (a least-squares cubic): numpy gives −3.9083966448140384 over [34.5, 43.7].
    const r3 = [1450000, 820000, 505000, 300000, 196000];
    const p3 = [44.1, 41.6, 39.3, 36.8, 34.5];
    const r4 = [1300000, 760000, 455000, 290000, 170000];
    const p4 = [43.7, 41.5, 38.9, 36.9, 34.0];
    expect(
      bdRate(
        r3.map((rate, i) => ({ rate, psnr: p3[i] })),
        r4.map((rate, i) => ({ rate, psnr: p4[i] })),
      ),
    ).toBeCloseTo(-3.9083966448140384, 8);
  });

  it('does not depend on the order of the points or the rate unit', () => {
    const ref = curve([30, 32, 34, 36, 38], base);
    const test = curve([30.5, 32.2, 34.1, 36.3, 37.7], (p) => base(p) - 0.02 + 0.0003 * (p - 33) ** 2);
    const a = bdRate(ref, test);
    expect(bdRate([...ref].reverse(), test.map((q) => ({ psnr: q.psnr, rate: q.rate })).reverse())).toBeCloseTo(a as number, 9);
    expect(
      bdRate(
        ref.map((q) => ({ ...q, rate: q.rate * 8 })),
        test.map((q) => ({ ...q, rate: q.rate * 8 })),
      ),
    ).toBeCloseTo(a as number, 9);
  });

  it('is null without a common PSNR range or with too few usable points', () => {
    expect(bdRate(curve([30, 32, 34], base), curve([35, 37, 39], base))).toBeNull();
    expect(bdRate(curve([30], base), curve([30, 32], base))).toBeNull();
    expect(
      bdRate(curve([30, 32], base), [
        { psnr: 31, rate: 0 },
        { psnr: Infinity, rate: 5 },
      ]),
    ).toBeNull();
  });
});

describe('polyfit / atPsnr', () => {
  it('interpolates 4 points exactly and refuses too few', () => {
    const xs = [1, 2, 4, 7];
    const f = (x: number) => 3 - x + 0.5 * x * x - 0.25 * x ** 3;
    const fit = polyfit(xs, xs.map(f), 3);
    for (const x of [1, 3, 5.5, 7]) {
      const u = (x - fit.shift) / fit.scale;
      expect(fit.coefficients.reduce((s, c, i) => s + c * u ** i, 0)).toBeCloseTo(f(x), 9);
    }
    expect(() => polyfit([1, 2, 3], [1, 2, 3], 3)).toThrow();
  });

  it('interpolates a quantity linearly in PSNR, null outside the range', () => {
    const pts = [
      { psnr: 40, fps: 10 },
      { psnr: 36, fps: 20 },
      { psnr: 38, fps: 16 },
    ];
    expect(atPsnr(pts, 37, 'fps')).toBeCloseTo(18, 12);
    expect(atPsnr(pts, 39.5, 'fps')).toBeCloseTo(11.5, 12);
    expect(atPsnr(pts, 41, 'fps')).toBeNull();
  });
});
