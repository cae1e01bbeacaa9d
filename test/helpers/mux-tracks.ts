// Track descriptions for tests that drive the muxers directly with made-up samples: a VGA
// Constrained Baseline video track (a real SPS/PPS pair, so ffprobe and the ISO-BMFF validator
// accept the avcC) and an MP3 track; and a sink that cannot seek.
import { buildAvcC } from '../../src/encode/avc.js';
import type { Sink } from '../../src/mux/sink.js';
import type { TrackInfo } from '../../src/mux/types.js';

const SPS = Uint8Array.from([0x67, 0x42, 0x00, 0x1e, 0xa6, 0x80, 0x78, 0x02, 0x27, 0xe5, 0x40]);
const PPS = Uint8Array.from([0x68, 0xce, 0x09, 0xc8]);

/** 640×480 H.264 at timescale 30000, BT.709 limited range. */
export const VGA_VIDEO_TRACK: TrackInfo = {
  kind: 'video', width: 640, height: 480, timescale: 30000,
  avcC: buildAvcC({ sps: [SPS], pps: [PPS], profile: 0x42, compatibility: 0, level: 0x1e }),
  colour: { primaries: 1, transfer: 1, matrix: 1, fullRange: false },
};

/**
 * Made-up sample i of VGA_VIDEO_TRACK: one NAL unit of 300 + i bytes (an IDR every 8 samples, so a
 * fragmented muxer cuts a fragment there), filled with i.
 */
export function vgaSample(i: number): { data: Uint8Array; duration: number; sync: boolean } {
  const b = new Uint8Array(300 + i).fill(i);
  new DataView(b.buffer).setUint32(0, b.length - 4);
  b[4] = i % 8 === 0 ? 0x65 : 0x41;
  return { data: b, duration: 1001, sync: i % 8 === 0 };
}

/** MPEG-1 Layer III, 44.1 kHz stereo. */
export const MP3_TRACK: TrackInfo = { kind: 'audio', codec: 'mp3', sampleRate: 44100, channels: 2, objectTypeIndication: 0x6b, timescale: 44100 };

/** A sink that cannot seek (faststart then spools the media and replays it after the moov); `data()` is all it got. */
export class StreamSink implements Sink {
  private readonly parts: Uint8Array[] = [];
  async write(bytes: Uint8Array): Promise<void> {
    this.parts.push(bytes.slice());
  }
  async close(): Promise<void> {}
  async abort(): Promise<void> {}
  data(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}
