// Interleaving (issue 14, item 15): in progressive and faststart files the chunks of the video and
// audio tracks alternate by time, so a player reading front to back never has to buffer one track
// to reach the other. Read back with the independent ISO-BMFF reader: every chunk's file offset,
// start time and duration, from stco/co64, stsc and stts.
import { describe, expect, it } from 'vitest';
import { audio, createMp4Writer, type Layout } from '../src/index.js';
import { assertValidIsoBmff, type TrackTables } from './helpers/iso-validate.js';

const SECONDS = 4;
const FPS = 10;

interface Chunk {
  track: string;
  offset: number;
  start: number;
  duration: number;
}

/** Every chunk of every track, in file order, with its start time and duration in seconds. */
function chunksInFileOrder(tracks: TrackTables[]): Chunk[] {
  const out: Chunk[] = [];
  for (const t of tracks) {
    let sample = 0;
    let ticks = 0;
    t.chunkOffsets.forEach((offset, c) => {
      let d = 0;
      for (let k = 0; k < t.samplesPerChunk[c]; k++) d += t.decodeDeltas[sample++];
      out.push({ track: t.handler, offset, start: ticks / t.timescale, duration: d / t.timescale });
      ticks += d;
    });
    expect(sample, `${t.handler}: chunks hold every sample`).toBe(t.sampleCount);
  }
  return out.sort((a, b) => a.offset - b.offset);
}

async function render(layout: Layout, output: { buffer: true } | WritableStream<Uint8Array>): Promise<void | Uint8Array> {
  const w = await createMp4Writer({ width: 64, height: 64, fps: FPS, output, layout, audio: audio.melody({ seconds: SECONDS }), video: { gop: FPS } });
  await w.addFrames(SECONDS * FPS, 'gradient');
  return (await w.finish()).data;
}

function collect(): { stream: WritableStream<Uint8Array>; bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  const stream = new WritableStream<Uint8Array>({ write: (c) => void parts.push(c.slice()) });
  return { stream, bytes: () => Buffer.concat(parts) };
}

describe('chunks of both tracks interleave by time', () => {
  it.each([
    ['progressive', 'buffer'],
    ['faststart', 'buffer'],
    ['faststart', 'stream'],
  ] as const)('%s (%s): in file order, no chunk starts more than one chunk earlier than one before it', async (layout, to) => {
    let bytes: Uint8Array;
    if (to === 'stream') {
      const sink = collect();
      await render(layout, sink.stream);
      bytes = sink.bytes();
    } else bytes = (await render(layout, { buffer: true })) as Uint8Array;
    const report = assertValidIsoBmff(bytes);
    const chunks = chunksInFileOrder(report.tracks);
    const video = chunks.filter((c) => c.track === 'vide');
    const sound = chunks.filter((c) => c.track === 'soun');
    // Several chunks per track, or there is nothing to interleave.
    expect(video.length).toBeGreaterThanOrEqual(SECONDS);
    expect(sound.length).toBeGreaterThanOrEqual(SECONDS);
    const longest = Math.max(...chunks.map((c) => c.duration));
    expect(longest).toBeLessThan(1);
    let latest = chunks[0];
    const steps: string[] = [];
    for (const c of chunks) {
      const back = latest.start - c.start;
      if (back > longest + 1e-9) {
        steps.push(
          `${c.track} chunk at ${c.start.toFixed(3)} s (byte ${c.offset}) comes after a ${latest.track} chunk at ${latest.start.toFixed(3)} s: ${back.toFixed(3)} s back`,
        );
      }
      if (c.start > latest.start) latest = c;
    }
    expect(steps, `chunk order (track@start): ${chunks.map((c) => `${c.track[0]}@${c.start.toFixed(2)}`).join(' ')}`).toEqual([]);
  });
});
