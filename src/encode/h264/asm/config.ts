// What each `speed` level does: the tool set of the encoder. Every level drops a tool from the one
// below it, and 9 three (the pattern search, its range and Intra4x4) (README, "How the encoder
// works"; the default, wasm-encoder.ts DEFAULT_SPEED, comes from `npm run bench:sweep`).
//
//  speed  integer search                     sub-sample refinement            intra 4x4            intra in P   early P_Skip
//    0    cross + hexagon, ±32               half + quarter (8 + 8), SATD    always, all 9 modes  always       no
//    1    cross + hexagon, ±24               half + quarter (8 + 8), SATD    always, all 9 modes  always       no
//    2    cross + hexagon, ±24               half + quarter (8 + 8), SATD    always, 5-6 modes    always       no
//    3    hexagon (cross when poor), ±16     half + quarter (8 + 8), SATD    always, 5-6 modes    always       no
//    4    hexagon (cross when poor), ±16     half + quarter (8 + 8), SATD    always, 5-6 modes    always       yes
//    5    hexagon (cross when poor), ±16     half + quarter (8 + 8), SATD    I pictures, I16 poor when poor    yes
//    6    hexagon (cross when poor), ±16     half + quarter (4 + 4), SATD    I pictures, I16 poor when poor    yes
//    7    hexagon (cross when poor), ±16     half + quarter (4 + 4), SAD     I pictures, I16 poor when poor    yes
//    8    hexagon (cross when poor), ±16     half (4), SAD                   I pictures, I16 poor when poor    yes
//    9    diamond, ±8                        half (4), SAD                   never                when poor    yes
//   10    diamond, ±8                        none                            never                when poor    yes
//
// "Cross when poor": the sparse cross runs where the best start candidate still costs more than
// CROSS_MIN (8 a sample): there the predictors missed, as on fast motion; elsewhere it only adds
// twelve SADs (2026-12-05 evening: on 720p testsrc2 it took luma BD-rate against ffmpeg.wasm
// ultrafast from +1.0% to -2.3%, for ~1% of CPU on plasma and ~3-4% on testsrc2; DEVELOPERS.md,
// "The speed ladder").

/** Integer search: 0 small diamond, 1 hexagon then diamond, 2 a sparse cross first (where the start costs more than crossMin). */
export let searchMethod: i32 = 1;
/** The start candidates' best cost (SAD + rate) above which the sparse cross runs; 0: always. */
export let crossMin: i32 = 0;
/** crossMin where the cross runs only when the predictors missed: 8 a sample over a 16x16 block. */
const CROSS_MIN: i32 = 8 * 256;
/** Integer search range in full samples around the best start candidate. */
export let searchRange: i32 = 16;
/** Sub-sample refinement: 0 none, 1 half samples, 2 half then quarter samples. */
export let subpel: i32 = 2;
/** Sub-sample refinement tries the four nearest positions only (else all eight), at each step. */
export let subpelDiamond: bool = true;
/** Compare sub-sample candidates with SATD (else SAD). */
export let subpelSatd: bool = true;
/** Intra 4x4: 0 never, 1 in I pictures when Intra16x16 predicts poorly, 2 always tried. */
export let intra4x4: i32 = 1;
/** Intra 4x4 mode search: try V, H, DC, the predicted mode and two diagonals (else all nine). */
export let intra4x4Fast: bool = true;
/** Intra macroblocks in P pictures: 1 when the inter cost is high, 2 always tried. */
export let intraInP: i32 = 1;
/** Test P_Skip before searching when the skip prediction is already close. */
export let earlySkip: bool = true;
/** Drop isolated small inter coefficients that cost more bits than they are worth. */
export let decimate: bool = true;
/** The in-loop deblocking filter. */
export let deblock: bool = true;

export function setSpeed(speed: i32): void {
  searchMethod = speed <= 8 ? 2 : 0;
  crossMin = speed <= 2 ? 0 : CROSS_MIN;
  searchRange = speed == 0 ? 32 : speed <= 2 ? 24 : speed <= 8 ? 16 : 8;
  subpel = speed <= 7 ? 2 : speed <= 9 ? 1 : 0;
  subpelDiamond = speed >= 6;
  subpelSatd = speed <= 6;
  intra4x4 = speed <= 4 ? 2 : speed <= 8 ? 1 : 0;
  intra4x4Fast = speed >= 2;
  intraInP = speed <= 4 ? 2 : 1;
  earlySkip = speed >= 4;
  decimate = true;
  deblock = true;
}
