// Tests of the twelfth mutation pass (src/generate: patterns, bars, scene). Each checks a property
// the source documents, computed here from that definition, not bytes copied from a run.
import { describe, expect, it } from 'vitest';
import { toI420 } from '../src/encode/convert.js';
import { readBarsCounter } from '../src/generate/bars.js';
import { drawPattern, patterns, type PatternName } from '../src/generate/patterns.js';
import { isPatternScene, loadScene, sceneDrawFrom } from '../src/generate/scene.js';
import { rejection, thrown } from './helpers/rejection.js';

const NAMES: PatternName[] = ['noise', 'gradient', 'plasma', 'bars', 'solid'];

function draw(name: PatternName, w: number, h: number, i: number): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  drawPattern(name, px, w, h, i);
  return px;
}

/** Start of part i of n equal integer parts of `length` (the layout bars.ts documents). */
const edge = (i: number, n: number, length: number) => Math.floor((i * length) / n);

/** CRC-8, polynomial 0x07, initial 0, over the three bytes of a 24-bit value, MSB first. */
function crc8(value: number): number {
  let crc = 0;
  for (const byte of [(value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = ((crc << 1) ^ (crc & 0x80 ? 0x07 : 0)) & 0xff;
  }
  return crc;
}

describe('patterns at any byte offset', () => {
  it('paints the same bytes into a buffer at byte offsets 0, 1, 2 and 3', () => {
    const w = 37;
    const h = 9;
    for (const name of NAMES) {
      const ref = draw(name, w, h, 5);
      for (let off = 0; off < 4; off++) {
        const backing = new Uint8Array(w * h * 4 + 8).fill(9);
        const view = backing.subarray(off, off + w * h * 4);
        drawPattern(name, view, w, h, 5);
        expect(Buffer.compare(view, ref), `${name} at offset ${off}`).toBe(0);
        expect(backing[off + w * h * 4], `${name}: byte after the frame at offset ${off}`).toBe(9);
        if (off > 0) expect(backing[off - 1], `${name}: byte before the frame at offset ${off}`).toBe(9);
      }
    }
  });
});

describe('gradient channels', () => {
  it('R follows x only, G follows y only, B both', () => {
    for (const [w, h] of [
      [64, 48],
      [200, 120],
    ]) {
      for (const f of [0, 7, 300]) {
        const px = draw('gradient', w, h, f);
        const at = (x: number, y: number, c: number) => px[(y * w + x) * 4 + c];
        let bAlongX = false;
        let bAlongY = false;
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            if (at(x, y, 0) !== at(x, 0, 0)) throw new Error(`${w}×${h} frame ${f}: R at (${x},${y}) differs from row 0`);
            if (at(x, y, 1) !== at(0, y, 1)) throw new Error(`${w}×${h} frame ${f}: G at (${x},${y}) differs from column 0`);
            if (at(x, y, 2) !== at(0, y, 2)) bAlongX = true;
            if (at(x, y, 2) !== at(x, 0, 2)) bAlongY = true;
          }
        }
        // Each ramp covers its whole range across the frame (a triangle wave over one cycle).
        const rs = new Set<number>();
        const gs = new Set<number>();
        for (let x = 0; x < w; x++) rs.add(at(x, 0, 0));
        for (let y = 0; y < h; y++) gs.add(at(0, y, 1));
        expect(Math.max(...rs) - Math.min(...rs)).toBeGreaterThan(200);
        expect(Math.max(...gs) - Math.min(...gs)).toBeGreaterThan(200);
        expect(bAlongX && bAlongY, `${w}×${h} frame ${f}: B varies along x and y`).toBe(true);
      }
    }
  });
});

describe('solid', () => {
  it('accepts the ends of 0..255 in every channel and paints them', () => {
    for (const color of [
      [255, 0, 255],
      [0, 255, 0],
      [255, 255, 255],
    ] as [number, number, number][]) {
      const px = new Uint8Array(2 * 2 * 4);
      patterns.solid(px, 2, 2, 0, color);
      expect([...px]).toEqual([...color, 255, ...color, 255, ...color, 255, ...color, 255]);
    }
    expect(thrown(() => patterns.solid(new Uint8Array(16), 2, 2, 0, [0, -1, 0])).code).toBe('INVALID_OPTION');
  });
});

describe('sizes', () => {
  it('a zero width or height is INVALID_DIMENSIONS for every pattern', () => {
    for (const name of NAMES) {
      for (const [w, h] of [
        [0, 4],
        [4, 0],
      ]) {
        const e = thrown(() => drawPattern(name, new Uint8Array(0), w, h, 0));
        expect(e.code, `${name} ${w}×${h}`).toBe('INVALID_DIMENSIONS');
        expect(e.message).toBe(`frame size ${w}×${h} is invalid; expected positive integers`);
      }
    }
  });

  it('a frame passed where a size belongs is named, not printed: the message stays short', () => {
    // drawPattern(name, width, rgba, ...) with the arguments swapped once printed all 3,686,400 bytes.
    const frame = new Uint8Array(1280 * 720 * 4);
    const messages = [
      thrown(() => drawPattern('bars', 1280 as unknown as Uint8Array, frame as unknown as number, 720, 0)).message,
      thrown(() => toI420(frame, 'rgba', frame as unknown as number, 720, new Uint8Array(0))).message,
      thrown(() => readBarsCounter(frame, 4, 1280, frame as unknown as number)).message,
    ];
    for (const m of messages) {
      expect(m).toContain('a Uint8Array of 3686400 bytes');
      expect(m.length).toBeLessThan(200);
    }
  });
});

describe('bars layout', () => {
  // 75% bars in SMPTE order: white, yellow, cyan, green, magenta, red, blue.
  const BARS = [
    [191, 191, 191],
    [191, 191, 0],
    [0, 191, 191],
    [0, 191, 0],
    [191, 0, 191],
    [191, 0, 0],
    [0, 0, 191],
  ];

  it('top half: seven 75% bars in SMPTE order; bottom half: 8×4 whole black or white cells', () => {
    for (const [w, h] of [
      [64, 64],
      [322, 242],
      [33, 33],
      [100, 51],
      [71, 17],
    ]) {
      for (const f of [0, 1, 12345]) {
        const px = new Uint8Array(w * h * 4).fill(42);
        patterns.bars(px, w, h, f);
        const top = Math.floor(h / 2);
        const pixel = (x: number, y: number) => [...px.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)];
        for (let y = 0; y < top; y++) {
          for (let i = 0; i < 7; i++) {
            for (let x = edge(i, 7, w); x < edge(i + 1, 7, w); x++) {
              const p = pixel(x, y);
              if (p.join() !== [...BARS[i], 255].join()) throw new Error(`${w}×${h}: bar ${i} at (${x},${y}) is ${p.join()}`);
            }
          }
        }
        const band = h - top;
        for (let row = 0; row < 4; row++) {
          for (let col = 0; col < 8; col++) {
            const first = pixel(edge(col, 8, w), top + edge(row, 4, band));
            expect([0, 255], `${w}×${h} cell ${row},${col}`).toContain(first[0]);
            expect(first).toEqual([first[0], first[0], first[0], 255]);
            for (let y = top + edge(row, 4, band); y < top + edge(row + 1, 4, band); y++) {
              for (let x = edge(col, 8, w); x < edge(col + 1, 8, w); x++) {
                if (pixel(x, y).join() !== first.join()) throw new Error(`${w}×${h} frame ${f}: cell ${row},${col} is not whole at (${x},${y})`);
              }
            }
          }
        }
        if (w >= 16 && h >= 16) expect(readBarsCounter(px, 4, w, h)).toBe(f);
      }
    }
  });

  it('the cells carry the index and a CRC-8 (poly 0x07) of it, each under a fixed mask', () => {
    // XOR of two frames' cell words cancels the masks: ((a ^ b) << 8) | (crc8(a) ^ crc8(b)).
    const w = 64;
    const h = 64;
    const word = (f: number) => {
      const px = new Uint8Array(w * h * 4);
      patterns.bars(px, w, h, f);
      let bits = 0;
      for (let row = 0; row < 4; row++) {
        for (let col = 0; col < 8; col++) {
          const y = h / 2 + edge(row, 4, h / 2) + 1;
          const x = edge(col, 8, w) + 1;
          bits = (bits << 1) | (px[(y * w + x) * 4] === 255 ? 1 : 0);
        }
      }
      return bits >>> 0;
    };
    const zero = word(0);
    for (const f of [1, 2, 0x80, 0x100, 0x8000, 0x10000, 0x800000, 0xabcdef, 0xffffff, 0x1000000 + 5]) {
      const v = f % 0x1000000;
      expect((word(f) ^ zero) >>> 0, `frame ${f}`).toBe((((v << 8) | (crc8(v) ^ crc8(0))) >>> 0));
    }
  });
});

describe('scenes', () => {
  it('only the five pattern names are pattern scenes, not Object.prototype members', async () => {
    for (const name of NAMES) expect(isPatternScene(name), name).toBe(true);
    for (const spec of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
      expect(isPatternScene(spec), spec).toBe(false);
      const e = await rejection(loadScene(spec));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message.startsWith(`scene ${spec} could not be imported: `), e.message).toBe(true);
    }
  });

  it('a pattern scene draws what drawPattern draws, at a non-square size', async () => {
    for (const name of NAMES) {
      const drawScene = await loadScene(name);
      const px = new Uint8Array(48 * 20 * 4);
      await drawScene(9, px, 48, 20);
      expect(Buffer.compare(px, draw(name, 48, 20, 9)), name).toBe(0);
    }
  });

  it('takes draw from a named export, a default function or a default object', async () => {
    const body = '(i, rgba) => { rgba.fill(i); }';
    for (const src of [`export const draw = ${body};`, `export default ${body};`, `export default { draw: ${body} };`]) {
      const drawScene = await loadScene(`data:text/javascript,${encodeURIComponent(src)}`);
      const px = new Uint8Array(8);
      await drawScene(7, px, 1, 2);
      expect([...px], src).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    }
    const e = await rejection(loadScene(`data:text/javascript,${encodeURIComponent('export default { paint() {} };')}`));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/must export a function draw\(frameIndex, rgba, width, height\)/);
  });

  it('sceneDrawFrom: draw, then a default function, then default.draw (module namespaces as Node gives them)', () => {
    // vitest's interop copies a default object's keys onto an imported namespace, so the
    // default.draw case is checked on plain namespace-shaped objects here.
    const f = () => {};
    const g = () => {};
    expect(sceneDrawFrom({ draw: f, default: g }, 'x')).toBe(f);
    expect(sceneDrawFrom({ default: g }, 'x')).toBe(g);
    expect(sceneDrawFrom({ default: { draw: f } }, 'x')).toBe(f);
    for (const mod of [{ default: { paint: f } }, { draw: 1 }, null, {}]) {
      const e = thrown(() => sceneDrawFrom(mod, 'file:///s.mjs'));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toBe(
        "scene file:///s.mjs must export a function draw(frameIndex, rgba, width, height) (named export 'draw' or default export)",
      );
    }
  });

  it('an empty scene is refused by name, not imported', async () => {
    const e = await rejection(loadScene(''));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toBe('scene must be a module URL or a pattern name (noise, gradient, plasma, bars, solid), got ""');
  });

  it('a scene that throws as it is imported keeps the error as its cause', async () => {
    const e = await rejection(loadScene(`data:text/javascript,${encodeURIComponent('throw new Error("no GPU here");')}`));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/could not be imported: no GPU here$/);
    expect(e.cause).toBeInstanceOf(Error);
    expect((e.cause as Error).message).toBe('no GPU here');
    expect(e.details).toEqual({ option: 'scene' });
  });
});
