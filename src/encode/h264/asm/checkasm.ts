// Test build entry (build/h264-checkasm.wasm, not shipped): every v128 kernel next to its scalar
// reference, so test/h264-kernels.test.ts can run both on the same random input ("checkasm").
import { alloc } from './state';

export { sad16x16, sad16x16Ref, satd4x4, satd4x4Ref, satd8x8, satd16x16, satdRef, ssd16x16, ssdRef } from './pixel';
export { chromaBlockRef } from './mc';

/** A scratch area of `bytes` for the test to fill. */
export function scratch(bytes: i32): usize {
  return alloc(bytes);
}
