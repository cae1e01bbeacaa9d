// What each `speed` level does: the tool set of the encoder (documented in the README; chosen
// from `npm run bench:sweep`). Set once by configure().

/** Integer search: 0 small diamond, 1 hexagon then diamond, 2 hexagon with a wider start. */
export let searchMethod: i32 = 1;
/** Integer search range in full samples around the best start candidate. */
export let searchRange: i32 = 16;
/** Sub-sample refinement: 0 none, 1 half samples, 2 half then quarter samples. */
export let subpel: i32 = 2;
/** Quarter-sample refinement tries the four nearest positions only (else all eight). */
export let subpelQuarterDiamond: bool = true;
/** Compare sub-sample candidates with SATD (else SAD). */
export let subpelSatd: bool = true;
/** Intra 4x4: 0 never, 1 when Intra16x16 predicts poorly, 2 always tried. */
export let intra4x4: i32 = 1;
/** Intra 4x4 mode search: try V, H, DC, the predicted mode and two diagonals (else all nine). */
export let intra4x4Fast: bool = true;
/** Intra macroblocks in P pictures: 0 never, 1 when the inter cost is high, 2 always tried. */
export let intraInP: i32 = 1;
/** Test P_Skip before searching when the skip prediction is already close. */
export let earlySkip: bool = true;
/** Drop isolated small inter coefficients that cost more bits than they are worth. */
export let decimate: bool = true;
/** The in-loop deblocking filter. */
export let deblock: bool = true;

export function setSpeed(speed: i32): void {
  searchMethod = speed <= 2 ? 2 : speed <= 7 ? 1 : 0;
  searchRange = speed <= 2 ? 32 : speed <= 6 ? 16 : 8;
  subpel = speed <= 7 ? 2 : speed <= 9 ? 1 : 0;
  subpelSatd = speed <= 8;
  subpelQuarterDiamond = speed >= 4;
  intra4x4 = speed <= 2 ? 2 : speed <= 8 ? 1 : 0;
  intra4x4Fast = speed >= 3;
  intraInP = speed <= 2 ? 2 : speed <= 9 ? 1 : 0;
  earlySkip = speed >= 3;
  decimate = true;
  deblock = true;
}
