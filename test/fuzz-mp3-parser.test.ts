// Property-based fuzzing of the MP3 frame parser (fast-check). Whatever the bytes, the parser must
// either return a result or throw an Mp4ForgeError with a parser code (never another error, never
// hang), its result must account for every input byte, and it must give the same answer however
// the input is chunked while keeping only a small tail between pushes. Valid inputs come from the
// npm ffmpeg (libmp3lame, mp2) plus hand-made Layer I, so no input is made by our own code.
//
// "Never loops" and "linear time" are checked deterministically, not with a stopwatch: the header
// and tag probes the parser imports are wrapped (vi.mock) to count the work done. Every parse in
// this file runs under a work budget proportional to its input, so a parser loop turns into a test
// failure (a synchronous loop could not be interrupted by vitest's timeout), and the linear-time
// test asserts work per input byte, which does not depend on the machine's load. Wall time is
// measured and printed for the record only.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** Probe calls (+ bytes scanned for Lyrics3 end markers) since the last reset, and the budget. */
const work = vi.hoisted(() => {
  const w = { done: 0, budget: Number.POSITIVE_INFINITY };
  const add = (n: number): void => {
    if ((w.done += n) > w.budget) throw new Error(`work budget exceeded: ${w.done} probes > ${w.budget} (a parser loop?)`);
  };
  return Object.assign(w, { add });
});
vi.mock(import('../src/audio/mp3-header.js'), async (importOriginal) => {
  const m = await importOriginal();
  const { readHeaderWord, frameLengthOf, sameStream } = m;
  const add = work.add;
  return {
    ...m,
    readHeaderWord: (b: Uint8Array, p: number) => (add(1), readHeaderWord(b, p)),
    frameLengthOf: (w: number) => (add(1), frameLengthOf(w)),
    sameStream: (a: number, b: number) => (add(1), sameStream(a, b)),
  };
});
vi.mock(import('../src/audio/mp3-tags.js'), async (importOriginal) => {
  const m = await importOriginal();
  const { probeTag, probeApeItem, findLyrics3End } = m;
  const add = work.add;
  return {
    ...m,
    probeTag: (...a: Parameters<typeof probeTag>) => (add(1), probeTag(...a)),
    probeApeItem: (...a: Parameters<typeof probeApeItem>) => (add(1), probeApeItem(...a)),
    // Scans buf[from, n): count the bytes it may look at.
    findLyrics3End: (...a: Parameters<typeof findLyrics3End>) => (add(1 + Math.max(0, a[2] - a[1])), findLyrics3End(...a)),
  };
});

/** Budget per parse: far above what any input needs (≤ ~7 probes/byte measured), far below a loop. */
const BUDGET_PER_BYTE = 200;
function withBudget<T>(inputBytes: number, fn: () => T): T {
  work.done = 0;
  work.budget = BUDGET_PER_BYTE * (inputBytes + 4096);
  try {
    return fn();
  } finally {
    work.budget = Number.POSITIVE_INFINITY;
  }
}
import { type Mp3Frame, Mp3FrameParser, type Mp3ParseResult, parseMp3 } from '../src/audio/mp3-parser.js';
import { Mp4ForgeError } from '../src/errors.js';
import { apeTag, concat, id3v1, id3v23WithPicture, layer1Stream, lyrics3v2, prng } from './helpers/mp3-corpus.js';
import { FFMPEG, run } from './helpers/oracles.js';

/** Codes the parser may throw for bad bytes (README "Errors", src/audio/mp3-parser.ts). */
const PARSER_CODES = new Set(['INVALID_MP3', 'UNSUPPORTED_MP3', 'MP3_STREAM_CHANGED']);
/** bufferedBytes must stay below this after every push, whatever the input (the design keeps < 16 KiB). */
const BUFFER_BOUND = 64 * 1024;

// --- corpus --------------------------------------------------------------------------------------

interface Source {
  name: string;
  bytes: Uint8Array;
}

let dir = '';
let sources: Source[] = [];

/** A sweep plus noise (so VBR varies), one or two channels, encoded by the npm ffmpeg. */
async function encode(name: string, rate: number, channels: 1 | 2, seconds: number, args: string[]): Promise<Source> {
  const left = '0.4*sin(2*PI*(200+400*t)*t)+0.03*(random(0)-0.5)';
  const right = '0.3*sin(2*PI*440*t)+0.05*(random(1)-0.5)';
  const src = `aevalsrc=exprs='${channels === 1 ? left : `${left}|${right}`}':s=${rate}:d=${seconds}`;
  const path = join(dir, name);
  const r = await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', src, ...args, path]);
  if (r.code !== 0) throw new Error(`ffmpeg failed for ${name}: ${r.stderr}`);
  return { name, bytes: new Uint8Array(readFileSync(path)) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp4forge-fuzz-mp3-'));
  const lame = (kbpsOrQ: string[]): string[] => ['-c:a', 'libmp3lame', ...kbpsOrQ];
  const made = await Promise.all([
    encode('cbr128-44k-stereo.mp3', 44100, 2, 1.5, lame(['-b:a', '128k'])), // MPEG-1, Info + LAME tag
    encode('vbr0-48k-stereo.mp3', 48000, 2, 1.2, lame(['-q:a', '0'])), // Xing, varying bitrates
    encode('cbr32-22k-mono-noxing.mp3', 22050, 1, 1.5, lame(['-b:a', '32k', '-write_xing', '0'])), // MPEG-2
    encode('cbr8-8k-mono.mp3', 8000, 1, 2, lame(['-b:a', '8k'])), // MPEG-2.5
    encode('mp2-192-44k-stereo.mp2', 44100, 2, 1, ['-c:a', 'mp2', '-b:a', '192k']), // Layer II
  ]);
  const cbr = made[0].bytes;
  sources = [
    ...made,
    { name: 'layer1-48k-crc', bytes: layer1Stream(60, 48000, 192, true) },
    // Tags around real frames: ID3v2 with a picture full of false syncs, APEv2, Lyrics3, ID3v1.
    { name: 'tagged-cbr128', bytes: concat(id3v23WithPicture(falseSyncs(3000)), cbr, apeTag({ header: true }), lyrics3v2(), id3v1()) },
  ];
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function falseSyncs(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let p = 0; p + 4 <= n; p += 417) b.set([0xff, 0xfb, 0x90, 0x64], p);
  return b;
}

// --- running the parser --------------------------------------------------------------------------

/** What a parse produced, in a form that compares with toEqual (frame bytes checked separately). */
interface Outcome {
  ok: boolean;
  /** Error code and message when !ok. */
  error?: string;
  frames?: { offset: number; size: number; samples: number }[];
  stats?: Mp3ParseResult['stats'];
  gapless?: Mp3ParseResult['gapless'];
  format?: Mp3ParseResult['format'] | null;
  infoFrame?: { kind: string; offset: number; size: number } | null;
  tags?: Mp3ParseResult['tags'];
  channelMode?: string;
}

/** Fails the property for anything thrown that is not an Mp4ForgeError with a parser code. */
function asOutcomeError(e: unknown): Outcome {
  if (!(e instanceof Mp4ForgeError)) {
    throw new Error(`parser threw a non-Mp4ForgeError: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
  }
  if (!PARSER_CODES.has(e.code)) throw new Error(`parser threw Mp4ForgeError with unexpected code ${e.code}: ${e.message}`);
  return { ok: false, error: `${e.code}: ${e.message}` };
}

function outcomeOf(
  bytes: Uint8Array,
  frames: Mp3Frame[],
  r: {
    stats: Mp3ParseResult['stats'];
    gapless: Mp3ParseResult['gapless'];
    format: Mp3ParseResult['format'] | null;
    infoFrame: Mp3ParseResult['infoFrame'];
    tags: readonly Mp3ParseResult['tags'][number][];
    channelMode: string | null;
  },
): Outcome {
  // Each frame's bytes are exactly the input at its offset.
  for (const f of frames) {
    const want = bytes.subarray(f.offset, f.offset + f.size);
    if (f.data.length !== f.size || Buffer.compare(f.data, want) !== 0)
      throw new Error(`frame at ${f.offset} (size ${f.size}): data is not the input's bytes there`);
  }
  return {
    ok: true,
    frames: frames.map((f) => ({ offset: f.offset, size: f.size, samples: f.samples })),
    stats: r.stats,
    gapless: r.gapless,
    format: r.format,
    infoFrame: r.infoFrame ? { kind: r.infoFrame.kind, offset: r.infoFrame.offset, size: r.infoFrame.size } : null,
    tags: r.tags.map((t) => ({ ...t })),
    channelMode: r.channelMode ?? undefined,
  };
}

function parseWhole(bytes: Uint8Array): Outcome {
  let r: Mp3ParseResult<Mp3Frame>;
  try {
    r = withBudget(bytes.length, () => parseMp3(bytes));
  } catch (e) {
    return asOutcomeError(e);
  }
  return outcomeOf(bytes, r.frames, r);
}

/** Pushes `bytes` in chunks whose sizes cycle through `sizes`; checks bufferedBytes after each push. */
function parseChunked(bytes: Uint8Array, sizes: number[]): Outcome {
  const parser = new Mp3FrameParser();
  const frames: Mp3Frame[] = [];
  try {
    withBudget(bytes.length, () => {
      let k = 0;
      for (let i = 0; i < bytes.length; k++) {
        const n = Math.max(1, sizes[k % sizes.length]);
        for (const f of parser.push(bytes.subarray(i, i + n))) frames.push(f);
        i += n;
        if (parser.bufferedBytes >= BUFFER_BOUND)
          throw new Error(`bufferedBytes ${parser.bufferedBytes} after pushing ${i} of ${bytes.length} bytes (bound ${BUFFER_BOUND})`);
      }
      for (const f of parser.end()) frames.push(f);
    });
  } catch (e) {
    return asOutcomeError(e);
  }
  expect(parser.bufferedBytes).toBe(0);
  return outcomeOf(bytes, frames, {
    stats: parser.stats,
    gapless: parser.gapless,
    format: parser.format,
    infoFrame: parser.infoFrame,
    tags: parser.tags,
    channelMode: parser.channelMode,
  });
}

/** Invariants a successful parse must satisfy on its own (README/mp3-parser.ts documentation). */
function checkResult(bytes: Uint8Array, o: Outcome): void {
  if (!o.ok) return;
  const frames = o.frames!;
  const s = o.stats!;
  expect(frames.length).toBeGreaterThan(0);
  expect(o.format).not.toBeNull();
  expect(o.channelMode, 'an accepted stream has the channel mode of its first frame').toBeTypeOf('string');
  expect(s.inputBytes).toBe(bytes.length);
  expect(s.frames).toBe(frames.length);
  expect(s.totalSamples).toBe(frames.length * o.format!.samplesPerFrame);
  let end = 0;
  let audio = 0;
  for (const f of frames) {
    // In order, non-overlapping, inside the input, each starting on an MPEG sync word.
    expect(f.offset).toBeGreaterThanOrEqual(end);
    expect(f.size).toBeGreaterThan(0);
    expect(f.offset + f.size).toBeLessThanOrEqual(bytes.length);
    expect(bytes[f.offset]).toBe(0xff);
    expect(bytes[f.offset + 1] & 0xe0).toBe(0xe0);
    expect(f.samples).toBe(o.format!.samplesPerFrame);
    end = f.offset + f.size;
    audio += f.size;
  }
  expect(s.bytes).toBe(audio);
  // "every input byte lands in exactly one of frames/info frame/tags/junk/truncated"
  const info = o.infoFrame ? o.infoFrame.size : 0;
  expect(s.bytes + info + s.skippedTagBytes + s.junkBytes + s.truncatedBytes, JSON.stringify(s)).toBe(bytes.length);
  for (const v of [s.junkBytes, s.truncatedBytes, s.skippedTagBytes, s.droppedFrames]) expect(v).toBeGreaterThanOrEqual(0);
}

/** Whole-buffer and chunked parses: only results or parser errors, identical, each self-consistent, within budget. */
function checkBytes(bytes: Uint8Array, sizes: number[]): Outcome {
  const whole = parseWhole(bytes);
  const chunked = parseChunked(bytes, sizes);
  checkResult(bytes, whole);
  expect(chunked).toEqual(whole);
  return whole;
}

// --- arbitraries ---------------------------------------------------------------------------------

/** Bytes from a seeded PRNG: cheap for large lengths, and shrinkable through (seed, length). */
function seededBytes(len: number, seed: number, ffBias = 0): Uint8Array {
  const rnd = prng(seed);
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = ffBias > 0 && rnd() < ffBias ? 0xff : (rnd() * 256) | 0;
  return b;
}

const chunkSizesArb = fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 70_000 })), {
  minLength: 1,
  maxLength: 12,
});

/** Chunk sizes for big inputs: mostly hundreds of bytes and up, so a case stays in milliseconds. */
const coarseChunkSizesArb = fc
  .array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 200, max: 70_000 })), { minLength: 1, maxLength: 12 })
  .filter((a) => a.some((n) => n >= 200));

/** Something that looks like an MPEG audio header (sync + random fields), then a random payload. */
const headerLikeArb = fc
  .tuple(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3000 }), fc.integer())
  .map(([b1, b2, b3, len, seed]) => concat(new Uint8Array([0xff, 0xe0 | b1, b2, b3]), seededBytes(len, seed, 0.02)));

const ascii = (s: string): Uint8Array => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

/** Tag and container magics with random (often huge or tiny) size fields. */
const tagLikeArb = fc.oneof(
  fc
    .tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 255 }), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }))
    .map(([v, flags, size]) => concat(ascii('ID3'), new Uint8Array([v, 0, flags, ...size]))),
  fc.constant(ascii('TAG')),
  fc.constant(ascii('TAG+')),
  fc.tuple(fc.constantFrom(1000, 2000, 7), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })).map(([ver, size, flags]) => {
    const b = new Uint8Array(32);
    b.set(ascii('APETAGEX'));
    const dv = new DataView(b.buffer);
    dv.setUint32(8, ver, true);
    dv.setUint32(12, size, true);
    dv.setUint32(20, flags, true);
    return b;
  }),
  fc.constantFrom(
    ascii('LYRICSBEGIN'),
    ascii('LYRICSEND'),
    ascii('LYRICS200'),
    ascii('000123LYRICS200'),
    ascii('RIFF\0\0\0\0WAVE'),
    ascii('\x89PNG\r\n\x1a\n'),
    ascii('\0\0\0\x18ftypisom'),
  ),
);

const junkArb = fc
  .tuple(fc.integer({ min: 0, max: 4000 }), fc.integer(), fc.constantFrom(0, 0.05, 0.5, 1))
  .map(([len, seed, ff]) => seededBytes(len, seed, ff));

/** Inputs made of header-like words, tag magics and junk: what makes a parser take odd paths. */
const structuredArb = fc
  .array(fc.oneof(headerLikeArb, tagLikeArb, junkArb, fc.uint8Array({ maxLength: 16 })), { maxLength: 24 })
  .map((parts) => concat(...parts));

// --- properties ----------------------------------------------------------------------------------

describe('MP3 parser fuzz: arbitrary bytes', () => {
  it('random bytes (0 B – 64 KiB): a result or a parser Mp4ForgeError, same in any chunking, bounded tail', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      fc.tuple(fc.integer({ min: 0, max: 65_536 }), fc.integer(), fc.constantFrom(0, 0, 0.01, 0.3)).map(([n, seed, ff]) => seededBytes(n, seed, ff)),
    );
    fc.assert(
      fc.property(bytesArb, coarseChunkSizesArb, (bytes, sizes) => {
        checkBytes(bytes, sizes);
      }),
      { numRuns: 150 },
    );
  });

  it('structured junk (header-like words, tag magics with random sizes, 0xFF runs): same guarantees', () => {
    fc.assert(
      fc.property(structuredArb, chunkSizesArb, (bytes, sizes) => {
        checkBytes(bytes, sizes);
      }),
      { numRuns: 300 },
    );
  });

  it('a failed parser stays failed and only ever rethrows Mp4ForgeErrors', () => {
    fc.assert(
      fc.property(structuredArb, fc.uint8Array({ maxLength: 64 }), (bytes, more) => {
        const p = new Mp3FrameParser();
        let failed: Mp4ForgeError | null = null;
        try {
          p.push(bytes);
          p.end();
        } catch (e) {
          asOutcomeError(e);
          failed = e as Mp4ForgeError;
        }
        // After end() or a failure, further calls throw an Mp4ForgeError (the same one after a failure).
        for (const call of [() => p.push(more.length ? more : new Uint8Array(1)), () => p.end()]) {
          let again: unknown = null;
          try {
            call();
          } catch (e) {
            again = e;
          }
          expect(again).toBeInstanceOf(Mp4ForgeError);
          if (failed) expect(again).toBe(failed);
          else expect((again as Mp4ForgeError).code).toBe('WRITER_CLOSED');
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('MP3 parser fuzz: damaged real files', () => {
  type Mutation =
    | { kind: 'flip'; at: number; bit: number }
    | { kind: 'byte'; at: number; value: number }
    | { kind: 'truncate'; at: number }
    | { kind: 'delete'; at: number; len: number }
    | { kind: 'junk'; at: number; len: number; seed: number; ff: number }
    | { kind: 'splice'; at: number; other: number; from: number; to: number }
    | { kind: 'duplicate'; at: number; len: number };

  // Positions are fractions of the current length, so a mutation fits whatever came before it.
  const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: frac, bit: fc.integer({ min: 0, max: 7 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('byte' as const), at: frac, value: fc.constantFrom(0x00, 0xff, 0x49, 0x54, 0x41, 0x4c, 0xfb, 0xe0) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: frac }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: frac, len: fc.integer({ min: 1, max: 5000 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('junk' as const),
        at: frac,
        len: fc.integer({ min: 1, max: 6000 }),
        seed: fc.integer(),
        ff: fc.constantFrom(0, 0.05, 0.5),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('splice' as const), at: frac, other: fc.nat(), from: frac, to: frac }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: frac, len: fc.integer({ min: 1, max: 3000 }) }) },
  );

  function apply(src: Uint8Array, muts: Mutation[]): Uint8Array {
    let b = src;
    for (const m of muts) {
      const at = Math.floor(m.at * b.length);
      switch (m.kind) {
        case 'flip':
          if (b.length === 0) break;
          b = new Uint8Array(b);
          b[at] ^= 1 << m.bit;
          break;
        case 'byte':
          if (b.length === 0) break;
          b = new Uint8Array(b);
          b[at] = m.value;
          break;
        case 'truncate':
          b = b.subarray(0, at);
          break;
        case 'delete':
          b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + m.len)));
          break;
        case 'junk':
          b = concat(b.subarray(0, at), seededBytes(m.len, m.seed, m.ff), b.subarray(at));
          break;
        case 'splice': {
          // A slice of another file (other rate/channels/layer/tags) in place of the rest.
          const o = sources[m.other % sources.length].bytes;
          const [x, y] = [Math.floor(m.from * o.length), Math.floor(m.to * o.length)].sort((p, q) => p - q);
          b = concat(b.subarray(0, at), o.subarray(x, Math.max(y, x + 1)));
          break;
        }
        case 'duplicate':
          b = concat(b.subarray(0, Math.min(b.length, at + m.len)), b.subarray(at));
          break;
      }
    }
    return b;
  }

  it('bit flips, truncations, splices, junk insertions: a result or a parser Mp4ForgeError, same in any chunking', () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat(), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), chunkSizesArb, (which, muts, sizes) => {
        const src = sources[which % sources.length];
        const bytes = apply(src.bytes, muts);
        const o = checkBytes(bytes, sizes);
        const key = o.ok ? 'result' : o.error!.slice(0, o.error!.indexOf(':'));
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }),
      { numRuns: 250 },
    );
    console.log(`fuzz-mp3: damaged files → ${JSON.stringify(Object.fromEntries(outcomes))}`);
    // The mutations are mostly local: most damaged files must still parse.
    expect(outcomes.get('result') ?? 0).toBeGreaterThan(0);
  });

  it('one flipped bit in the audio loses only the frame it hit, its neighbours and what a changed frame length covers', () => {
    // Untagged sources only: a flip in a tag's size field legitimately moves where the tag ends.
    const plain = sources.filter((s) => !s.name.startsWith('tagged'));
    const wholes = plain.map((s) => parseWhole(s.bytes));
    let lostTotal = 0;
    let cases = 0;
    fc.assert(
      // A frame in [2, n-2) (away from the Xing/Info frame and the end), then a byte of its header
      // (where a flip changes what the parser sees) or any byte of it.
      fc.property(
        fc.nat({ max: plain.length - 1 }),
        fc.nat(),
        fc.oneof(fc.integer({ min: 0, max: 3 }), fc.nat()),
        fc.integer({ min: 0, max: 7 }),
        (i, k, within, bit) => {
          const frames = wholes[i].frames!;
          const f = frames[2 + (k % (frames.length - 4))];
          const pos = f.offset + (within % f.size);
          const bytes = new Uint8Array(plain[i].bytes);
          bytes[pos] ^= 1 << bit;
          const o = checkBytes(bytes, [4096]);
          expect(o.ok, `${plain[i].name}, bit ${bit} at ${pos}: ${o.error}`).toBe(true);
          const hit = frames.findIndex((f) => pos >= f.offset && pos < f.offset + f.size);
          const key = (f: { offset: number; size: number }): string => `${f.offset}+${f.size}`;
          const found = new Set(o.frames!.map(key));
          const original = new Set(frames.map(key));
          // A flip in a header can change the frame's length: the parser then takes the damaged
          // frame at its new length (an 8 → 24 kbit/s flip swallows exactly the next two frames, and
          // nothing in the headers can tell). So: new frames only where the flip was, and an original
          // frame may go missing only next to the hit one or under such a new frame.
          const fresh = o.frames!.filter((g) => !original.has(key(g)));
          for (const g of fresh) expect(g.offset, `${plain[i].name}: new frame ${key(g)} for a flip in frame ${hit}`).toBe(frames[hit].offset);
          const covered = (g: { offset: number; size: number }): boolean => fresh.some((n) => g.offset < n.offset + n.size && n.offset < g.offset + g.size);
          frames.forEach((g, j) => {
            if (Math.abs(j - hit) > 1 && !covered(g)) expect(found.has(key(g)), `${plain[i].name}: frame ${j} lost by a flip in frame ${hit}`).toBe(true);
          });
          lostTotal += frames.filter((g) => !found.has(key(g))).length;
          cases++;
        },
      ),
      { numRuns: 200 },
    );
    console.log(`fuzz-mp3: single bit flips: ${lostTotal} frames lost over ${cases} cases`);
  });

  it('a splice of two files at arbitrary points: a result or a parser Mp4ForgeError, same in any chunking', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), frac, frac, frac, chunkSizesArb, (i, j, a, b, c, sizes) => {
        const x = sources[i % sources.length].bytes;
        const y = sources[j % sources.length].bytes;
        const cut = Math.floor(a * x.length);
        const [from, to] = [Math.floor(b * y.length), Math.floor(c * y.length)].sort((p, q) => p - q);
        checkBytes(concat(x.subarray(0, cut), y.subarray(from, to), x.subarray(cut)), sizes);
      }),
      { numRuns: 120 },
    );
  });
});

describe('MP3 parser fuzz: chunking invariance on valid files', () => {
  it('any chunk partition gives the whole-buffer frames (offset, size, samples, bytes), stats, gapless info, format and tags', () => {
    // Partitions as sorted cut points, which also reach 1-byte chunks and cuts inside headers and tags.
    const partitionArb = (len: number): fc.Arbitrary<number[]> =>
      fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, len - 1) }), { maxLength: 60 }).map((cuts) => {
        const sorted = [...cuts].sort((a, b) => a - b);
        const sizes: number[] = [];
        let prev = 0;
        for (const c of sorted) {
          if (c > prev && c < len) sizes.push(c - prev);
          prev = Math.max(prev, c);
        }
        sizes.push(Math.max(1, len - prev));
        return sizes;
      });
    const caseArb = fc.nat({ max: sources.length - 1 }).chain((i) => fc.tuple(fc.constant(i), partitionArb(sources[i].bytes.length)));
    fc.assert(
      fc.property(caseArb, ([i, sizes]) => {
        const { bytes } = sources[i];
        const whole = parseWhole(bytes);
        expect(whole.ok, `${sources[i].name}: ${whole.error}`).toBe(true);
        checkResult(bytes, whole);
        // Exactly the partition (no cycling): the sizes add up to the input length.
        expect(sizes.reduce((s, n) => s + n, 0)).toBe(bytes.length);
        expect(parseChunked(bytes, sizes)).toEqual(whole);
      }),
      { numRuns: 120 },
    );
  });

  it('regression: a stream cut inside its last frame still reports the first audio frame\'s channel mode', () => {
    // Found by the damaged-files property: after a Xing/Info frame, channelMode used to be set only
    // by a later frame going through the slow path (null here; differing with the chunking).
    const src = sources.find((s) => s.name === 'cbr128-44k-stereo.mp3')!.bytes;
    const whole = parseWhole(src);
    const last = whole.frames![whole.frames!.length - 1];
    const cut = src.subarray(0, last.offset + (last.size >> 1));
    const o = parseWhole(cut);
    expect(o.ok).toBe(true);
    expect(o.channelMode).toBe(whole.channelMode);
    expect(o.channelMode).toBe('joint-stereo'); // libmp3lame's default mode at 128 kbit/s stereo
    expect(parseChunked(cut, [1])).toEqual(o);
  });

  it('valid files are parsed as valid: frames, no junk, the tags put around them', () => {
    for (const s of sources) {
      const o = parseWhole(s.bytes);
      expect(o.ok, `${s.name}: ${o.error}`).toBe(true);
      expect(o.stats!.junkBytes, s.name).toBe(0);
      expect(o.stats!.truncatedBytes, s.name).toBe(0);
      checkResult(s.bytes, o);
    }
    const tagged = parseWhole(sources.find((s) => s.name === 'tagged-cbr128')!.bytes);
    // Ours, then the ID3v2 tag ffmpeg writes at the start of its own file (when it does), then ours.
    const cbr = sources[0].bytes;
    const ffmpegId3 = cbr[0] === 0x49 && cbr[1] === 0x44 && cbr[2] === 0x33 ? ['id3v2'] : [];
    expect(tagged.tags!.map((t) => t.kind)).toEqual(['id3v2', ...ffmpegId3, 'apev2', 'lyrics3v2', 'id3v1']);
    if (ffmpegId3.length) expect(tagged.tags![1].offset).toBe(tagged.tags![0].size);
    expect(tagged.gapless).not.toBeNull();
    // Same frames as the untagged file, shifted by the tag in front.
    const plain = parseWhole(cbr);
    const shift = tagged.tags![0].size;
    expect(tagged.frames!.map((f) => ({ ...f, offset: f.offset - shift }))).toEqual(plain.frames);
  });
});

describe('MP3 parser fuzz: linear time', () => {
  /** Probes per input byte the parser may spend on junk (measured: ≤ 2.1 for these inputs). */
  const MAX_WORK_PER_BYTE = 4;

  /** One whole-buffer parse: work done (deterministic) and wall time (printed only). */
  function measure(bytes: Uint8Array): { outcome: string; work: number; ms: number } {
    const t0 = performance.now();
    const o = parseWhole(bytes);
    const ms = performance.now() - t0;
    return { outcome: o.ok ? `${o.frames!.length} frames` : o.error!.slice(0, o.error!.indexOf(':')), work: work.done, ms };
  }

  it('1 MiB and 4 MiB of random bytes: work per byte bounded and not growing with size; wall time printed', () => {
    // Uniform bytes (what "random bytes" means) and two hostile mixes: many 0xFF bytes make every
    // position a sync candidate, and all-0xFF is the densest run of candidates there is.
    const inputs: [string, (n: number) => Uint8Array][] = [
      ['uniform random', (n) => seededBytes(n, 0x5eed)],
      ['random, 30% 0xFF', (n) => seededBytes(n, 0xbeef, 0.3)],
      ['all 0xFF', (n) => new Uint8Array(n).fill(0xff)],
    ];
    for (const [label, make] of inputs) {
      const one = make(1 << 20);
      const four = make(4 << 20);
      // (4 MiB, and the 1 MiB figure is the one the issue asks about.)
      measure(one.subarray(0, 1 << 16)); // warm up the JIT before timing
      const m1 = measure(one);
      const m4 = measure(four);
      const w1 = m1.work / one.length;
      const w4 = m4.work / four.length;
      // Wall time under vitest with the counting wrappers in place: an upper bound on the plain
      // parser's time, and only a figure for the record (this machine is shared; see the header).
      console.log(
        `fuzz-mp3: ${label}: 1 MiB → ${m1.outcome} in ${m1.ms.toFixed(1)} ms (${w1.toFixed(3)} probes/B); ` +
          `4 MiB → ${m4.outcome} in ${m4.ms.toFixed(1)} ms (${w4.toFixed(3)} probes/B)`,
      );
      expect(w1, `${label}: probes per byte, 1 MiB`).toBeLessThanOrEqual(MAX_WORK_PER_BYTE);
      expect(w4, `${label}: probes per byte, 4 MiB`).toBeLessThanOrEqual(MAX_WORK_PER_BYTE);
      // Linear: 4× the input costs at most 4× the work (+2% for where the random frames fall).
      expect(m4.work, `${label}: work for 4 MiB vs 1 MiB`).toBeLessThanOrEqual(4.08 * m1.work + 1000);
    }
  });

  it('bufferedBytes stays bounded while 4 MiB of random bytes is pushed in chunks up to 1 MiB', () => {
    const bytes = seededBytes(4 << 20, 77, 0.05);
    fc.assert(
      fc.property(
        fc
          .array(fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 4096, max: 1 << 20 })), { minLength: 1, maxLength: 8 })
          .filter((a) => a.some((n) => n >= 65_536)),
        (sizes) => {
          parseChunked(bytes, sizes);
        },
      ),
      { numRuns: 6 },
    );
  });
});
