// Repeatable pseudo-random test data, one generator for every test that needs some.

/**
 * A seeded sequence: the 32-bit linear congruential generator of C's `rand()` (multiplier
 * 1103515245, increment 12345, modulo 2^32). Each call returns the next state, an integer in
 * [0, 2^32). Its low bits repeat quickly (bit k has period 2^(k+1)), so take high bits where they
 * matter: `next() >>> 24` for a byte, `next() / 2 ** 32` for a uniform number in [0, 1).
 */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
}
