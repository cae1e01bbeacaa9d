// Test build entry (build/h264-checkasm.wasm, not shipped): every v128 kernel next to its scalar
// reference, so test/h264-kernels.test.ts can run both on the same random input ("checkasm").
import { alloc } from './state';

export { sad16x16, sad16x16Ref, satd4x4, satd4x4Ref, satd8x8, satd16x16, satdRef, ssd16x16, ssdRef } from './pixel';
export { chromaBlockRef } from './mc';

/** A scratch area of `bytes` for the test to fill. */
export function scratch(bytes: i32): usize {
  return alloc(bytes);
}

import { loadEdge4x4, predict4x4, predict4x4Ref, mode4x4Available } from './intra';

/** Predicts mode `m` of the 4x4 block at `rec` both ways into outA / outB (stride 16); false if unavailable. */
export function predict4x4Both(rec: usize, rs: i32, m: i32, left: bool, top: bool, topLeft: bool, topRight: bool, outA: usize, outB: usize): bool {
  if (!mode4x4Available(m, left, top, topLeft)) return false;
  loadEdge4x4(rec, rs, left, top, topLeft, topRight);
  predict4x4(m, outA, 16, left, top);
  predict4x4Ref(m, outB, 16, left, top);
  return true;
}
