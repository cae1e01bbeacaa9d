// The soundtrack (src/soundtrack.ts) in the cases the other audio tests leave out: a cut MP3 so
// short that opening it reads it to its end (its warning must still reach the result), and a cut
// MP3 looped (its warning given once, not once per pass). The cut and its whole frames come from
// ffprobe's packet positions of the uncut file, never from our parser.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMp4Writer, type AudioLength } from '../src/index.js';
import { probePacketPositions, type PacketPos } from './helpers/mp3-corpus.js';
import { FFMPEG, run } from './helpers/oracles.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('mp4forge-soundtrack-');

/** libmp3lame at `rate`, mono: an Info frame with a LAME tag, then the audio frames. */
async function lameFile(name: string, rate: number, seconds: number): Promise<{ bytes: Uint8Array; packets: PacketPos[] }> {
  const path = join(dir, `${name}.mp3`);
  const source = `aevalsrc=exprs='0.4*sin(2*PI*440*t)':s=${rate}:d=${seconds}`;
  const r = await run(FFMPEG, ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-c:a', 'libmp3lame', '-b:a', '32k', path]);
  expect(r.code, r.stderr).toBe(0);
  return { bytes: new Uint8Array(readFileSync(path)), packets: await probePacketPositions(path) };
}

async function warningsOf(audio: Uint8Array, audioLength: AudioLength, frames: number): Promise<string[]> {
  const w = await createMp4Writer({ width: 64, height: 64, fps: 10, output: { buffer: true }, audio, audioLength });
  await w.addFrames(frames, 'gradient');
  const r = await w.finish();
  return (r.audio?.warnings ?? []).map((x) => x.code);
}

let short: { bytes: Uint8Array; packets: PacketPos[] };

beforeAll(async () => {
  // 22.05 kHz: 576-sample frames, so two of them (1,152 samples) barely pass the start delay (576 + 529).
  short = await lameFile('short', 22050, 1);
}, 60_000);

describe('warnings of a cut MP3', () => {
  it('reach the result when opening the file already read it to its end', async () => {
    // ffprobe's first packet is the first audio frame (the Info frame is not a packet): keep two
    // whole audio frames and 2 bytes of the third, too little of it for a header that would vouch
    // for the second frame's end before the input ends.
    const [, second, third] = short.packets;
    const cut = short.bytes.subarray(0, third.pos + 2);
    expect(second.pos + second.size).toBe(third.pos);
    for (const audioLength of ['trim', 'full'] as const) expect(await warningsOf(cut, audioLength, 3), audioLength).toEqual(['MP3_FRAME_COUNT_MISMATCH']);
    // The uncut file warns of nothing.
    expect(await warningsOf(short.bytes, 'full', 3)).toEqual([]);
  });

  it("are given once when 'loop' reads the file again and again", async () => {
    const half = short.packets[Math.floor(short.packets.length / 2)];
    const cut = short.bytes.subarray(0, half.pos + (half.size >> 1)); // about half a second of audio
    expect(await warningsOf(cut, 'loop', 30)).toEqual(['MP3_FRAME_COUNT_MISMATCH']); // 3 s of video: 6 passes
  });
});
