// The byte-identity guard: a fixed set of outputs (every layout, with and without an MP3,
// in-process and with workers, renderVideo, renderSegment + stitchSegments) hashed and compared
// with hashes checked into test/fixtures/output-hashes.json. The hashes were made by the code
// before the encoder/mux/frame-loop refactor (issue 11); any change to the bytes mp4forge writes
// for the same options fails here. After an intended format change, regenerate them with
// `MP4FORGE_UPDATE_HASHES=1 npx vitest run test/output-hashes.test.ts` and say why in the commit.
//
// Segments are hashed from their first moof on: the moov carries the segment record, whose JSON
// names the encoder and so legitimately grows when the record does; the media must not change.
import { describe, it } from 'vitest';
import * as api from '../src/index.js';
import { hashGuard, sha256 } from './helpers/hash-guard.js';
import { assertValidIsoBmff } from './helpers/iso-validate.js';

const guard = hashGuard(new URL('./fixtures/output-hashes.json', import.meta.url));

const W = 64;
const H = 48;
const FRAMES = 45; // gop 5 → chunks of 20 frames: 20 + 20 + 5
const LAYOUTS = ['faststart', 'progressive', 'fragmented'] as const;
// The encoder that runs today; spelled through one constant so the guard follows renames of the option.
const VIDEO = { gop: 5, qp: 30, encoder: 'h264-mp4-encoder' } as const;
const BUFFER = { buffer: true } as const;

let mp3: Uint8Array | null = null;
async function song(): Promise<Uint8Array> {
  if (mp3) return mp3;
  const parts: Uint8Array[] = [];
  for await (const b of api.encodePcmToMp3(api.audio.tone({ seconds: 3, frequency: 440, channels: 2 }))) parts.push(b);
  mp3 = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    mp3.set(p, o);
    o += p.length;
  }
  return mp3;
}

const check = (key: string, bytes: Uint8Array): void => guard(key, sha256(bytes));

/** Bytes from the first top-level moof on. */
function media(segment: Uint8Array): Uint8Array {
  const dv = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  for (let o = 0; o + 8 <= segment.length; o += dv.getUint32(o)) {
    if (String.fromCharCode(...segment.subarray(o + 4, o + 8)) === 'moof') return segment.subarray(o);
  }
  throw new Error('no moof in segment');
}

describe('outputs stay byte-identical (checked-in SHA-256)', () => {
  for (const layout of LAYOUTS) {
    for (const withAudio of [false, true]) {
      const key = `${layout}${withAudio ? '+mp3' : ''}`;
      it(`${key}: in-process, workers: 2 and renderVideo`, async () => {
        const audio = withAudio ? { audio: await song() } : {};
        for (const workers of [0, 2]) {
          const w = await api.createMp4Writer({ width: W, height: H, fps: 10, layout, video: VIDEO, output: BUFFER, workers, ...audio });
          await w.addFrames(FRAMES, 'plasma');
          const r = await w.finish();
          assertValidIsoBmff(r.data as Uint8Array);
          check(key, r.data as Uint8Array);
        }
        const r = await api.renderVideo({
          width: W,
          height: H,
          fps: 10,
          layout,
          video: VIDEO,
          output: BUFFER,
          workers: 2,
          frames: FRAMES,
          scene: 'plasma',
          ...audio,
        });
        check(key, r.data as Uint8Array);
      });
    }
  }

  it('renderSegment × 2 + stitchSegments, every layout, with and without an MP3', async () => {
    const parts: Uint8Array[] = [];
    for (const k of [1, 2]) {
      const range = api.segmentRange(FRAMES, k, 2, VIDEO.gop);
      const seg = await api.renderSegment({ width: W, height: H, fps: 10, scene: 'plasma', video: VIDEO, range, frames: FRAMES, output: BUFFER });
      check(`segment ${k}/2 media`, media(seg.data as Uint8Array));
      parts.push(seg.data as Uint8Array);
    }
    for (const layout of LAYOUTS) {
      for (const withAudio of [false, true]) {
        const r = await api.stitchSegments(parts, { layout, output: BUFFER, ...(withAudio ? { audio: await song() } : {}) });
        assertValidIsoBmff(r.data as Uint8Array);
        check(`stitch ${layout}${withAudio ? '+mp3' : ''}`, r.data as Uint8Array);
      }
    }
  });
});
