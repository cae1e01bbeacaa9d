// The oracles (test/helpers/oracles.ts) put every mp4forge MP4 a test probes or decodes through the
// structural ISO-BMFF check. This proves the hook is live: a defect ffprobe itself tolerates (an
// mvhd duration that disagrees with the tracks) must still fail a test that only calls ffprobe.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMp4Writer } from '../src/index.js';
import { FFPROBE, ffprobe, run, structureCheckCount } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';

describe('structural check behind the oracles', () => {
  it('passes a good file, and fails ffprobe() on a file ffprobe alone would accept', async () => {
    const w = await createMp4Writer({ width: 64, height: 64, fps: 30, output: { buffer: true } });
    await w.addFrames(3, 'bars');
    const bytes = (await w.finish()).data as Uint8Array;
    const good = tmpFile('hook-good.mp4');
    writeFileSync(good, bytes);
    const before = structureCheckCount.files;
    expect(Number((await ffprobe(good, { count: true })).streams[0].nb_read_frames)).toBe(3);
    expect(structureCheckCount.files).toBe(before + 1);

    // mvhd (version 0): type, version+flags, creation, modification, timescale, duration.
    const bad = bytes.slice();
    const at = Buffer.from(bad.buffer).indexOf('mvhd') + 4 + 4 + 4 + 4 + 4;
    new DataView(bad.buffer).setUint32(at, new DataView(bad.buffer).getUint32(at) + 1000);
    const badFile = tmpFile('hook-bad.mp4');
    writeFileSync(badFile, bad);
    // ffprobe by itself is content with it...
    expect((await run(FFPROBE, ['-v', 'error', '-show_streams', badFile])).code).toBe(0);
    // ...the oracle is not.
    await expect(ffprobe(badFile)).rejects.toThrow(/mvhd: duration \d+ != max tkhd duration/);
  });
});
