// Bjøntegaard delta rate (G. Bjøntegaard, "Calculation of average PSNR differences between
// RD-curves", VCEG-M33, 2001): how many percent more (> 0) or fewer (< 0) bits the test encoder
// needs than the reference for the same quality, averaged over the quality range both curves cover.
//
// Each curve is a set of (rate, PSNR) points, one per qp. log(rate) is fitted as a polynomial of
// PSNR — cubic, as in VCEG-M33, or of degree n − 1 when a curve has fewer than 4 points —
// by least squares (an exact interpolation for 4 points), both fits are integrated over the
// overlapping PSNR interval, and the mean difference of log-rates is turned back into a ratio.
// Any rate unit works (bytes for the same frame count, kbit/s): only ratios enter.

/**
 * Least-squares polynomial fit of ys over xs. Returns the coefficients c[0..degree] of
 * c0 + c1·u + … in the normalised variable u = (x − shift) / scale (for conditioning), with shift
 * and scale.
 */
export function polyfit(xs, ys, degree) {
  const n = xs.length;
  if (n !== ys.length || n < degree + 1) throw new Error(`polyfit: ${n} points cannot fix a degree-${degree} polynomial`);
  const shift = xs.reduce((s, x) => s + x, 0) / n;
  const scale = Math.sqrt(xs.reduce((s, x) => s + (x - shift) ** 2, 0) / n) || 1;
  const us = xs.map((x) => (x - shift) / scale);
  const m = degree + 1;
  // Normal equations (AᵀA) c = Aᵀy, with A the Vandermonde matrix of us; m ≤ 4, so they are small.
  const a = Array.from({ length: m }, () => new Array(m + 1).fill(0));
  for (let k = 0; k < n; k++) {
    const pw = Array.from({ length: 2 * m - 1 }, (_, p) => us[k] ** p);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) a[i][j] += pw[i + j];
      a[i][m] += pw[i] * ys[k];
    }
  }
  // Gaussian elimination with partial pivoting.
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (Math.abs(a[piv][col]) < 1e-12) throw new Error('polyfit: the points do not fix the polynomial (repeated x values?)');
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c <= m; c++) a[r][c] -= f * a[col][c];
    }
  }
  return { coefficients: a.map((row, i) => row[m] / row[i]), shift, scale };
}

/** ∫ from x0 to x1 of a fit returned by {@link polyfit}. */
export function integrate(fit, x0, x1) {
  const prim = (x) => {
    const u = (x - fit.shift) / fit.scale;
    return fit.coefficients.reduce((s, c, i) => s + (c * u ** (i + 1)) / (i + 1), 0) * fit.scale;
  };
  return prim(x1) - prim(x0);
}

function curve(points) {
  const pts = points.filter((p) => Number.isFinite(p.psnr) && Number.isFinite(p.rate) && p.rate > 0);
  const xs = pts.map((p) => p.psnr);
  if (pts.length < 2 || Math.max(...xs) === Math.min(...xs)) return null;
  return {
    fit: polyfit(
      xs,
      pts.map((p) => Math.log(p.rate)),
      Math.min(3, pts.length - 1),
    ),
    lo: Math.min(...xs),
    hi: Math.max(...xs),
  };
}

/**
 * BD-rate of `test` against `ref` in percent (−10 = the test needs 10% fewer bits at equal PSNR),
 * from arrays of `{ rate, psnr }`. Null when a curve has fewer than two usable points or the
 * curves share no PSNR interval. `overlapDb` in the detailed form says how wide that interval is.
 */
export function bdRateDetailed(ref, test) {
  const a = curve(ref);
  const b = curve(test);
  if (!a || !b) return null;
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  if (!(hi > lo)) return null;
  const mean = (integrate(b.fit, lo, hi) - integrate(a.fit, lo, hi)) / (hi - lo);
  return {
    percent: (Math.exp(mean) - 1) * 100,
    lowDb: lo,
    highDb: hi,
    overlapDb: hi - lo,
    fitDegree: Math.min(a.fit.coefficients.length, b.fit.coefficients.length) - 1,
  };
}

export function bdRate(ref, test) {
  return bdRateDetailed(ref, test)?.percent ?? null;
}

/**
 * A quantity (e.g. frames per CPU second) of a curve at a given PSNR: linear interpolation in
 * PSNR between the two neighbouring points, null outside the measured PSNR range.
 */
export function atPsnr(points, psnr, key) {
  const pts = points.filter((p) => Number.isFinite(p.psnr) && Number.isFinite(p[key])).sort((x, y) => x.psnr - y.psnr);
  for (let i = 1; i < pts.length; i++) {
    const [l, h] = [pts[i - 1], pts[i]];
    if (psnr >= l.psnr && psnr <= h.psnr) return h.psnr === l.psnr ? (l[key] + h[key]) / 2 : l[key] + ((h[key] - l[key]) * (psnr - l.psnr)) / (h.psnr - l.psnr);
  }
  return pts.length === 1 && pts[0].psnr === psnr ? pts[0][key] : null;
}
