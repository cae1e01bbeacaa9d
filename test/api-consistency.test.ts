// Issue 11's acceptance: behaviours that were wrong before the encoder contract / mux session /
// frame loop refactor, each checked against an independent oracle where output is concerned
// (ffmpeg decodes the file; the bars pattern's frame counter is read back from its pixels).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  audio, createMp4Writer, drawPattern, encodePcmToMp3, readBarsCounter, renderSegment, renderVideo, segmentRange, stitchSegments, type Mp4ForgeError,
  type Progress, type RenderSegmentOptions,
} from '../src/index.js';
import { directoryStore, getRenderStatus, startRenderWorker, submitRender } from '../src/queue/index.js';
import { decodeRgbFrames } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';
import { rejection } from './helpers/rejection.js';
import { rewriteRecord } from './helpers/segment-record.js';

const W = 64; // the bars counter reads back after H.264 from 64×64 up
const H = 64;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

async function counters(data: Uint8Array, name: string): Promise<number[]> {
  const file = tmpFile(name);
  writeFileSync(file, data);
  return (await decodeRgbFrames(file, W, H)).map((f) => readBarsCounter(f, 3, W, H));
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('one meaning per name', () => {
  it('writer.frames counts frames added, the same with workers: 2 as without', async () => {
    for (const workers of [0, 2]) {
      const w = await createMp4Writer({ width: W, height: H, fps: 30, output: { buffer: true }, workers, video: { gop: 30 } });
      const rgba = new Uint8Array(W * H * 4);
      for (let i = 0; i < 20; i++) {
        drawPattern('bars', rgba, W, H, i);
        await w.addFrame(rgba);
      }
      expect(w.frames, `workers: ${workers}`).toBe(20);
      const r = await w.finish();
      expect(r.frames).toBe(20);
      expect(await counters(r.data as Uint8Array, `frames-w${workers}.mp4`)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it('results share their fields: frames, durationSeconds, bytes, layout, videoEncoder, data / path', async () => {
    const common = { width: W, height: H, fps: 10, video: { gop: 10 } } as const;
    const w = await createMp4Writer({ ...common, output: { buffer: true } });
    await w.addFrames(20, 'bars');
    const written = await w.finish();
    const rendered = await renderVideo({ ...common, output: { buffer: true }, frames: 20, scene: 'bars', workers: 1 });
    const path = tmpFile('shared-fields.m4s');
    const seg = await renderSegment({ ...common, scene: 'bars', range: { start: 0, end: 20 }, output: path });
    const stitched = await stitchSegments([seg], { output: { buffer: true } });
    for (const r of [written, rendered, seg, stitched]) {
      expect(r).toMatchObject({ frames: 20, durationSeconds: 2, videoEncoder: 'wasm' });
      expect(r.bytes).toBeGreaterThan(0);
    }
    expect(seg).toMatchObject({ layout: 'fragmented', path, range: { start: 0, end: 20 } });
    expect(seg.data).toBeUndefined();
    expect(stitched).toMatchObject({ layout: 'faststart', segments: 1, range: { start: 0, end: 20 } });
    expect(stitched.data?.length).toBe(stitched.bytes);
  });
});

describe('callbacks', () => {
  it('an async FrameCallback is awaited: every frame is drawn before it is encoded', async () => {
    const w = await createMp4Writer({ width: W, height: H, fps: 30, output: { buffer: true } });
    await w.addFrames(12, async (i, rgba) => {
      await tick(); // anything async: a fetch, a canvas readback
      drawPattern('bars', rgba, W, H, i);
    });
    const r = await w.finish();
    expect(await counters(r.data as Uint8Array, 'async-callback.mp4')).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('renderVideo accepts a scene function (drawn on the calling thread), with or without workers', async () => {
    const scene = async (i: number, rgba: Uint8Array, width: number, height: number) => {
      await tick();
      drawPattern('bars', rgba, width, height, i);
    };
    const base = { width: W, height: H, fps: 30, frames: 18, output: { buffer: true } } as const;
    const inProcess = await renderVideo({ ...base, scene });
    expect(await counters(inProcess.data as Uint8Array, 'scene-fn.mp4')).toEqual(Array.from({ length: 18 }, (_, i) => i));
    const pooled = await renderVideo({ ...base, scene, workers: 2 });
    const asModule = await renderVideo({ ...base, scene: 'bars', workers: 2 });
    expect(Buffer.from(pooled.data as Uint8Array).equals(Buffer.from(inProcess.data as Uint8Array))).toBe(true);
    expect(Buffer.from(asModule.data as Uint8Array).equals(Buffer.from(inProcess.data as Uint8Array))).toBe(true);
  });

  it('renderSegment and stitchSegments call onProgress, up to the frames they wrote', async () => {
    const seen: Progress[] = [];
    const range = segmentRange(40, 2, 2, 8); // chunks of 16: frames 16–39
    const seg = await renderSegment({
      width: W,
      height: H,
      fps: 10,
      scene: 'bars',
      video: { gop: 8 },
      range,
      output: { buffer: true },
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ frames: 24, durationSeconds: 2.4 });
    expect(seen.every((p, i) => i === 0 || p.frames > seen[i - 1].frames)).toBe(true);
    expect(seen.at(-1)?.bytes).toBeLessThanOrEqual(seg.bytes);
    const stitched: number[] = [];
    await stitchSegments([seg], { output: { buffer: true }, onProgress: (p) => stitched.push(p.frames) });
    expect(stitched.at(-1)).toBe(24);
  });
});

describe('the encoder contract', () => {
  it("renderSegment with video.encoder 'webcodecs' in Node is UNSUPPORTED_RUNTIME (it was ignored)", async () => {
    const e = await rejection(
      renderSegment({ width: W, height: H, fps: 30, scene: 'bars', range: { start: 0, end: 4 }, video: { encoder: 'webcodecs' }, output: { buffer: true } }),
    );
    expect(e.code).toBe('UNSUPPORTED_RUNTIME');
    expect(e.message).toMatch(/webcodecs.*no WebCodecs VideoEncoder/);
  });

  it("options a backend does not have are refused: speed with 'webcodecs'", async () => {
    const e = await rejection(createMp4Writer({ width: W, height: H, fps: 30, output: { buffer: true }, video: { encoder: 'webcodecs', speed: 3 } }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/video\.speed has no WebCodecs equivalent/);
  });

  it('stitch refuses segments made by another encoder (SEGMENT_MISMATCH), and still reads version-1 records', async () => {
    // h264-mp4-encoder segments: mp4forge 0.1's version-1 records can only have come from it
    const base = { width: W, height: H, fps: 10, scene: 'bars', video: { gop: 8, encoder: 'h264-mp4-encoder' }, output: { buffer: true } } as const;
    const a = (await renderSegment({ ...base, range: { start: 0, end: 16 } })).data as Uint8Array;
    const b = (await renderSegment({ ...base, range: { start: 16, end: 32 } })).data as Uint8Array;
    const other = rewriteRecord(b, (json) => json.replace('"id":"h264-mp4-encoder"', '"id":"future-encoder"'));
    const e = await rejection(stitchSegments([a, other], { output: { buffer: true } }));
    expect(e.code).toBe('SEGMENT_MISMATCH');
    expect(e.message).toMatch(/encoder is "?future-encoder"?, expected "?h264-mp4-encoder"?/);
    expect(e.details).toMatchObject({ segment: 2, field: 'encoder' });
    // mp4forge 0.1 wrote version 1 records: no encoder named (h264-mp4-encoder was the only one), speed always set.
    const toV1 = (json: string) =>
      json.replace('"id":"h264-mp4-encoder","version":"1.0.12",', '').replace('"gop":8,', '"speed":6,"gop":8,"temporalDenoise":false,');
    const [a1, b1] = [rewriteRecord(a, toV1, 1), rewriteRecord(b, toV1, 1)];
    const old = await stitchSegments([a1, b1], { output: { buffer: true } });
    expect(old).toMatchObject({ frames: 32, videoEncoder: 'h264-mp4-encoder' });
    expect(Buffer.from(old.data as Uint8Array).equals(Buffer.from((await stitchSegments([a, b], { output: { buffer: true } })).data as Uint8Array))).toBe(true);
    // Mixed with a new record that leaves speed to the backend, the difference is named.
    expect(await stitchSegments([a, b1], { output: { buffer: true } }).catch((err: unknown) => err)).toMatchObject({
      code: 'SEGMENT_MISMATCH',
      details: { field: 'encoder speed' },
    });
  });
});

describe('options', () => {
  it('unknown keys are refused at every level, with a did-you-mean', async () => {
    const base = { width: W, height: H, fps: 30, output: { buffer: true } } as const;
    const cases: [unknown, RegExp][] = [
      [{ ...base, audoi: 'x.mp3' }, /^audoi is not an option \(did you mean audio\?\)/],
      [{ ...base, video: { qpp: 20 } }, /^video\.qpp is not an option \(did you mean video\.qp\?\)/],
      [{ ...base, fps: { num: 30, dne: 1 } }, /^fps\.dne is not an option \(did you mean fps\.den\?\)/],
      [{ ...base, output: { bufer: true } }, /^output\.bufer is not an option \(did you mean output\.buffer\?\)/],
      [{ ...base, audio: [new Float32Array(4)], audioEncoding: { kpbs: 128 } }, /^audioEncoding\.kpbs is not an option \(did you mean audioEncoding\.kbps\?\)/],
      [{ ...base, output: 'buffer' }, /output: \{ buffer: true \}/],
    ];
    for (const [options, message] of cases) {
      const e = await rejection(createMp4Writer(options as Parameters<typeof createMp4Writer>[0]));
      expect(e.code, String(message)).toBe('INVALID_OPTION');
      expect(e.message).toMatch(message);
    }
    const seg = { width: W, height: H, fps: 30, scene: 'bars', output: { buffer: true } } as const;
    expect((await rejection(renderSegment({ ...seg, range: { start: 0, ned: 4 } } as unknown as RenderSegmentOptions))).message).toMatch(
      /range\.ned is not an option \(did you mean range\.end\?\)/,
    );
    expect((await rejection(renderSegment({ ...seg, range: { start: 0, end: 4 }, layout: 'faststart' } as unknown as RenderSegmentOptions))).message).toMatch(
      /stitchLayout/,
    );
    expect((await rejection(stitchSegments([new Uint8Array(8)], { output: { buffer: true }, layuot: 'fragmented' } as never))).message).toMatch(
      /did you mean layout\?/,
    );
    expect((await rejection(renderVideo({ ...base, frames: 2, scene: 'bars', pixelFormat: 'rgba' } as never))).message).toMatch(
      /^pixelFormat is not an option/,
    );
  });

  it('…and in the audio generators, the MP3 encoder, PCM sources given as object literals, and mp4forge/queue', async () => {
    const gens: [() => unknown, string][] = [
      [() => audio.tone({ frequency: 440, seconds: 1, amplitdue: 1 } as never), 'audio.tone.amplitdue is not an option (did you mean audio.tone.amplitude?)'],
      [() => audio.melody({ secnds: 3 } as never), 'audio.melody.secnds is not an option (did you mean audio.melody.seconds?)'],
      [() => audio.chord({ frequncies: [440], seconds: 1 } as never), 'audio.chord.frequncies is not an option (did you mean audio.chord.frequencies?)'],
      [() => audio.clicks({ seconds: 1, at: [], amp: 1 } as never), 'audio.clicks.amp is not an option'],
      [() => audio.noiseBurst({ seconds: 1, sed: 3 } as never), 'audio.noiseBurst.sed is not an option (did you mean audio.noiseBurst.seed?)'],
    ];
    for (const [make, message] of gens) {
      const e = (() => {
        try {
          make();
        } catch (err) {
          return err as Mp4ForgeError;
        }
        throw new Error(`accepted: ${message}`);
      })();
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message.startsWith(message), e.message).toBe(true);
    }
    const drain = async (it: AsyncIterable<Uint8Array>) => {
      for await (const _ of it) void _;
    };
    // encodePcmToMp3 checks its options when called (a throw), its source as it reads.
    expect((await rejection((async () => drain(encodePcmToMp3(audio.melody({ seconds: 0.1 }), { kbs: 128 } as never)))())).message).toMatch(
      /^kbs is not an option \(did you mean kbps\?\); expected one of kbps, channels$/,
    );
    const base = { width: W, height: H, fps: 30, output: { buffer: true } } as const;
    const pull = { sampleRate: 44100, chanels: 1, pull: () => null };
    expect((await rejection(createMp4Writer({ ...base, audio: pull } as never))).message).toBe(
      'PCM pull source: chanels is not one of its keys (did you mean channels?); expected sampleRate, channels, pull',
    );
    const planes = { sampleRate: 44100, plane: [new Float32Array(8)], planes: [new Float32Array(8)] };
    expect((await rejection((async () => drain(encodePcmToMp3(planes as never)))())).message).toMatch(/^PCM buffer source: plane is not one of its keys \(did you mean planes\?\)/);
    // An object of the caller's own class may carry anything else: it is not an options literal.
    class Source {
      sampleRate = 44100;
      channels = 1 as const;
      served = 0;
      pull(n: number) {
        return this.served++ < 2 ? [new Float32Array(n)] : null;
      }
    }
    await drain(encodePcmToMp3(new Source()));

    // mp4forge/queue: refused before anything reaches for Redis (nothing listens on port 1).
    const connection = 'redis://127.0.0.1:1';
    const job = { width: W, height: H, fps: 30, frames: 32, pattern: 'bars' as const, output: '/tmp/x.mp4' };
    const queueCases: [Promise<unknown>, RegExp][] = [
      [submitRender({ ...job, widht: 3 } as never, { connection, segments: 1 }), /^widht is not an option \(did you mean width\?\)/],
      [submitRender(job, { connection, segmnts: 1 } as never), /^segmnts is not an option \(did you mean segments\?\)/],
      [startRenderWorker({ connection, store: directoryStore('/tmp/x'), concurency: 2 } as never), /^concurency is not an option \(did you mean concurrency\?\)/],
      [getRenderStatus(`mp4f-${'0'.repeat(32)}`, { connection, prefx: 'x' } as never), /^prefx is not an option \(did you mean prefix\?\)/],
      [
        getRenderStatus(`mp4f-${'0'.repeat(32)}`, { connection: { host: '127.0.0.1', prot: 1 } } as never),
        /^connection\.prot is not an option \(did you mean connection\.port\?\)/,
      ],
    ];
    for (const [p, message] of queueCases) {
      const e = await rejection(p);
      expect(e.code, String(message)).toBe('INVALID_OPTION');
      expect(e.message).toMatch(message);
    }
  });

  it('options that do nothing are refused: audioLength without audio, audioEncoding for an MP3', async () => {
    const base = { width: W, height: H, fps: 30, output: { buffer: true } } as const;
    const mp3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64]);
    const cases: [object, RegExp][] = [
      [{ audioLength: 'loop' }, /audioLength applies to a soundtrack/],
      [{ audio: mp3, audioEncoding: { kbps: 128 } }, /an MP3 is muxed as is/],
      [{ audio: { sampleRate: 44100, planes: [new Float32Array(8)] }, audioEncoding: { sampleRate: 48000 } }, /sampleRate is the rate of a bare Float32Array/],
    ];
    for (const [extra, message] of cases) {
      const e = await rejection(createMp4Writer({ ...base, ...extra }));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toMatch(message);
    }
  });

  it('a frame rate of NaN or Infinity is named as such', async () => {
    for (const fps of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = await rejection(createMp4Writer({ width: W, height: H, fps, output: { buffer: true } }));
      expect(e.message).toMatch(new RegExp(`got ${String(fps)}$`));
    }
  });
});

describe('CLI', () => {
  it('render, encode, render --segment and stitch print one --json shape', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const node = (args: string[], input?: Uint8Array) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'buffer' });
      expect(r.status, r.stderr.toString()).toBe(0);
      return JSON.parse(r.stdout.toString()) as Record<string, unknown>;
    };
    const size = ['--width', `${W}`, '--height', `${H}`, '--fps', '10', '--gop', '8'];
    const raw = new Uint8Array(W * H * 4 * 5);
    const parts = [tmpFile('json-1.m4s'), tmpFile('json-2.m4s')];
    const runs = [
      node(['render', ...size, '--frames', '32', '--out', tmpFile('json-render.mp4'), '--json']),
      node(['encode', ...size, '--out', tmpFile('json-encode.mp4'), '--json'], raw),
      node(['render', ...size, '--frames', '32', '--segment', '1/2', '--out', parts[0], '--json']),
      node(['render', ...size, '--frames', '32', '--segment', '2/2', '--out', parts[1], '--json']),
      node(['stitch', ...parts, '--out', tmpFile('json-stitch.mp4'), '--json']),
    ];
    const keys = Object.keys(runs[0]);
    expect(keys).toEqual([
      'command', 'output', 'layout', 'frames', 'range', 'durationSeconds', 'bytes', 'videoEncoder', 'elapsedSeconds', 'fps', 'audio', 'segment',
      'segments', 'droppedBytes',
    ]);
    for (const r of runs) expect(Object.keys(r)).toEqual(keys);
    expect(runs.map((r) => [r.command, r.frames, r.durationSeconds, r.segment, r.segments, r.droppedBytes])).toEqual([
      ['render', 32, 3.2, null, null, null],
      ['encode', 5, 0.5, null, null, 0],
      ['render', 16, 1.6, { k: 1, n: 2 }, null, null],
      ['render', 16, 1.6, { k: 2, n: 2 }, null, null],
      ['stitch', 32, 3.2, null, 2, null],
    ]);
    expect(runs.every((r) => r.videoEncoder === 'wasm' && (r.elapsedSeconds as number) >= 0)).toBe(true);
  });
});
