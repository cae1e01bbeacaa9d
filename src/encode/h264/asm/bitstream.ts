// Bit writer for RBSP data (big-endian, MSB first), Exp-Golomb codes, and the NAL unit wrapper
// that inserts emulation-prevention bytes. One writer per WASM instance: module state, no objects.
//
// Each complete 32-bit word is stored in the machine's order (little-endian) as it is written, and
// bitsEnd() turns the words into stream order at once, 16 bytes a shuffle. WebAssembly has no
// byte swap: bswap<u32> is two masks, two rotations and an or, and a swap by one byte shuffle
// per word took V8 eight instructions (a splat, and the shuffle's mask rebuilt in a register
// each time) at every CAVLC level, most of noise's encode: 1.03x on 720p noise without them.

let start: usize = 0;
let ptr: usize = 0;
/** Pending bits, the newest in the low `pending` bits. */
let acc: u64 = 0;
let pending: i32 = 0;

/** Starts writing RBSP bytes at `buffer`. */
export function bitsBegin(buffer: usize): void {
  start = buffer;
  ptr = buffer;
  acc = 0;
  pending = 0;
}

/** Writes the low `n` bits of `value` (n from 0 to 32). */
// @ts-ignore: decorator
@inline export function putBits(n: i32, value: u32): void {
  acc = (acc << u64(n)) | u64(value);
  pending += n;
  if (pending >= 32) {
    pending -= 32;
    store<u32>(ptr, u32(acc >> u64(pending)));
    ptr += 4;
  }
}

/**
 * The writer's state, for a coder that keeps it in locals over a run of writes (CAVLC residual
 * blocks): read it with pendingAcc()/pendingCount()/writerPtr(), and hand it back with
 * setWriter(). Such a coder stores words as putBits does (little-endian, swapped by bitsEnd), and
 * may store one at its pointer before it is complete (a store that a later one overwrites,
 * instead of a branch per write): the RBSP buffer has room past any position the bits can reach.
 */
// @ts-ignore: decorator
@inline export function pendingAcc(): u64 {
  return acc;
}
// @ts-ignore: decorator
@inline export function pendingCount(): i32 {
  return pending;
}
// @ts-ignore: decorator
@inline export function writerPtr(): usize {
  return ptr;
}
// @ts-ignore: decorator
@inline export function setWriter(a: u64, n: i32, p: usize): void {
  acc = a;
  pending = n;
  ptr = p;
}

// @ts-ignore: decorator
@inline export function putBit(bit: u32): void {
  putBits(1, bit);
}

/** ue(v): unsigned Exp-Golomb. */
export function putUe(v: u32): void {
  const code = v + 1;
  const len = 32 - clz<u32>(code); // bits of code
  if (len <= 16) putBits(2 * len - 1, code);
  else {
    putBits(len - 1, 0);
    putBits(len, code);
  }
}

/** se(v): signed Exp-Golomb. */
export function putSe(v: i32): void {
  putUe(v > 0 ? u32(2 * v - 1) : u32(-2 * v));
}

/** Length in bits of se(v), for rate estimates. */
// @ts-ignore: decorator
@inline export function seBits(v: i32): i32 {
  const code = u32(v > 0 ? 2 * v - 1 : -2 * v) + 1;
  return 2 * (31 - clz<u32>(code)) + 1;
}

// @ts-ignore: decorator
@inline export function ueBits(v: u32): i32 {
  return 2 * (31 - clz<u32>(v + 1)) + 1;
}

/** Bits written since bitsBegin. */
export function bitCount(): i32 {
  return i32(ptr - start) * 8 + pending;
}

export function isByteAligned(): bool {
  return (pending & 7) == 0;
}

/** Pads with zero bits to the next byte boundary. */
export function alignZero(): void {
  const r = pending & 7;
  if (r != 0) putBits(8 - r, 0);
}

/** rbsp_trailing_bits(): a one bit, then zeros to the byte boundary. */
export function putTrailingBits(): void {
  putBits(1, 1);
  alignZero();
}

/**
 * Puts the complete words into stream order (most significant byte first), then writes out the
 * whole pending bytes; call when byte aligned. Returns the RBSP length in bytes.
 */
export function bitsEnd(): i32 {
  let p = start;
  const swap = v128(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  for (; p + 16 <= ptr; p += 16) v128.store(p, i8x16.swizzle(v128.load(p), swap));
  for (; p < ptr; p += 4) store<u32>(p, bswap<u32>(load<u32>(p)));
  while (pending >= 8) {
    pending -= 8;
    store<u8>(ptr, u8(acc >> u64(pending)));
    ptr++;
  }
  return i32(ptr - start);
}

/** The writer's position, to rewind a macroblock that is re-encoded (see bitsRestore). */
export let savedPtr: usize = 0;
export let savedAcc: u64 = 0;
export let savedPending: i32 = 0;

export function bitsSave(): void {
  savedPtr = ptr;
  savedAcc = acc;
  savedPending = pending;
}

export function bitsRestore(): void {
  ptr = savedPtr;
  acc = savedAcc;
  pending = savedPending;
}

/**
 * Wraps `len` RBSP bytes at `rbsp` into a NAL unit at `out`: a 4-byte big-endian length (AVCC),
 * the one-byte header, then the payload with emulation_prevention_three_byte inserted wherever
 * two zero bytes would be followed by a byte <= 3. Returns the bytes written, length field included.
 */
export function writeNal(out: usize, nalRefIdc: i32, nalType: i32, rbsp: usize, len: i32): i32 {
  let o = out + 4;
  store<u8>(o, u8((nalRefIdc << 5) | nalType));
  o++;
  let zeros = 0;
  const end = rbsp + usize(len);
  let p = rbsp;
  while (p < end) {
    // Fast path: copy 8 bytes at once while none of them is zero.
    if (zeros == 0 && p + 8 <= end) {
      const w = load<u64>(p);
      // "has a zero byte" bit trick
      if (((w - 0x0101010101010101) & ~w & 0x8080808080808080) == 0) {
        store<u64>(o, w);
        o += 8;
        p += 8;
        continue;
      }
    }
    const b = load<u8>(p);
    if (zeros >= 2 && b <= 3) {
      store<u8>(o, 3);
      o++;
      zeros = 0;
    }
    store<u8>(o, b);
    o++;
    p++;
    zeros = b == 0 ? zeros + 1 : 0;
  }
  const size = i32(o - out) - 4;
  store<u32>(out, bswap<u32>(u32(size)));
  return size + 4;
}
