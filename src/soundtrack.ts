// The audio half of the writer: turns the `audio` option (an MP3 path, bytes or stream, or PCM to
// encode) into MP3 frames for the muxer, plus the gapless window that makes the first real sample
// of the soundtrack play at movie time 0.
import { Mp4ForgeError, type Mp4ForgeWarning } from './errors.js';
import { encodePcmToMp3, LAMEJS_ENCODER_DELAY, MP3_DECODER_DELAY, type Mp3EncodeOptions } from './audio/mp3-encoder.js';
import { Mp3FrameParser, type Mp3Format, type Mp3Frame } from './audio/mp3-parser.js';
import type { PcmSource } from './audio/pcm-source.js';
import type { AudioTrackInfo, TrackEdit } from './mux/types.js';
import { fileChunks as readFileChunks } from './platform/io.js';
import { webStreamChunks } from './web-stream.js';

/** MP3 as a path (Node), bytes or a byte stream; or PCM (a pull source, planes, or bare Float32Array[]) to encode. */
export type AudioInput = string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | PcmSource | Float32Array[];

/** When audio and video lengths differ: cut audio at the video end, keep all of it, or repeat it to fill the video. */
export type AudioLength = 'trim' | 'full' | 'loop';

/** How PCM audio is encoded to MP3. */
export interface AudioEncodeOptions extends Mp3EncodeOptions {
  /** Sample rate of a bare `Float32Array[]` input. Default 44100. */
  sampleRate?: number;
}

interface Source {
  /** A fresh pass over the MP3 bytes, when the input can be read again (paths, byte arrays). */
  reopen: (() => AsyncIterator<Uint8Array>) | null;
  iterator: AsyncIterator<Uint8Array>;
  /** PCM input: samples encoded, known when the encoder has finished. */
  pcm: { inputSamples: number | null } | null;
}

function isPcm(a: unknown): a is PcmSource {
  const p = a as { sampleRate?: unknown; pull?: unknown; planes?: unknown };
  return !!a && typeof a === 'object' && typeof p.sampleRate === 'number' && (typeof p.pull === 'function' || Array.isArray(p.planes));
}

async function* bytesChunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  const step = 1 << 20;
  for (let o = 0; o < bytes.length; o += step) yield bytes.subarray(o, Math.min(bytes.length, o + step));
}

function fileChunks(path: string): AsyncGenerator<Uint8Array> {
  return readFileChunks(path, 'audio');
}

async function* pcmChunks(input: PcmSource, encode: Mp3EncodeOptions, out: { inputSamples: number | null }): AsyncGenerator<Uint8Array> {
  const gen = encodePcmToMp3(input, encode);
  for (;;) {
    const r = await gen.next();
    if (r.done) {
      out.inputSamples = r.value.inputSamples;
      return;
    }
    yield r.value;
  }
}

function openSource(input: AudioInput, encode: AudioEncodeOptions): Source {
  if (typeof input === 'string') return { reopen: () => fileChunks(input), iterator: fileChunks(input), pcm: null };
  if (input instanceof Uint8Array) return { reopen: () => bytesChunks(input), iterator: bytesChunks(input), pcm: null };
  if (Array.isArray(input)) {
    if (input.length === 0 || !input.every((p) => p instanceof Float32Array)) {
      throw new Mp4ForgeError('INVALID_OPTION', 'audio as an array must hold one Float32Array per channel (1 or 2)');
    }
    return openSource({ sampleRate: encode.sampleRate ?? 44100, planes: input }, encode);
  }
  if (isPcm(input)) {
    const pcm = { inputSamples: null as number | null };
    const { sampleRate: _rate, ...mp3 } = encode; // the rate of a bare Float32Array[], used above
    return { reopen: null, iterator: pcmChunks(input, mp3, pcm), pcm };
  }
  if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream) return { reopen: null, iterator: webStreamChunks(input), pcm: null };
  if (input && typeof (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return { reopen: null, iterator: (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator](), pcm: null };
  }
  throw new Mp4ForgeError(
    'INVALID_OPTION',
    'audio must be an MP3 file path, a Uint8Array, a ReadableStream or AsyncIterable of MP3 bytes, or PCM ({sampleRate, channels, pull()}, {sampleRate, planes} or Float32Array[])',
  );
}

/** Samples before the first real one: the encoder delay (lamejs's, or the LAME tag's) plus the decoder's. */
function skipOf(source: Source, parser: Mp3FrameParser): number {
  const delay = source.pcm ? LAMEJS_ENCODER_DELAY : parser.gapless?.encoderDelay;
  return delay === undefined ? 0 : delay + MP3_DECODER_DELAY;
}

export class Soundtrack {
  readonly format: Mp3Format;
  readonly track: AudioTrackInfo;
  /** Samples of encoder + decoder delay before the first real sample (0 without gapless info). */
  readonly skip: number;
  /** What the MP3 parser warned about once the input was read to its end (e.g. a cut file). */
  readonly warnings: Mp4ForgeWarning[] = [];
  private parser: Mp3FrameParser;
  private ready: Mp3Frame[];
  private sourceDone: boolean;
  /** 'loop' over a source that cannot be read twice keeps its frames (MP3 is small: ~1 MB/min). */
  private readonly kept: Mp3Frame[] | null;
  private replayAt = -1;
  /** Media samples handed out so far. */
  private fedSamples = 0;
  private ended = false;
  /** Times a 'loop' has read the input again from its start. */
  private passes = 0;

  private constructor(
    private readonly source: Source,
    private readonly length: AudioLength,
    parser: Mp3FrameParser,
    ready: Mp3Frame[],
    sourceDone: boolean,
  ) {
    this.parser = parser;
    this.ready = ready;
    this.sourceDone = sourceDone;
    const f = parser.format as Mp3Format;
    this.format = f;
    this.track = {
      kind: 'audio',
      codec: 'mp3',
      sampleRate: f.sampleRate,
      channels: f.channels,
      objectTypeIndication: f.mpegVersion === 1 ? 0x6b : 0x69,
      timescale: f.sampleRate,
    };
    this.skip = skipOf(source, parser);
    this.kept = length === 'loop' && !source.reopen ? [] : null;
    if (sourceDone) this.warnings.push(...parser.warnings);
  }

  /**
   * Opens the input and reads until the stream format (and any LAME tag) is known and a frame holds
   * a sample past the start delay, or to the end of an input that has none: the parser then refuses
   * it (INVALID_MP3) here, before anything is written.
   */
  static async open(input: AudioInput, length: AudioLength, encode: AudioEncodeOptions = {}): Promise<Soundtrack> {
    const source = openSource(input, encode);
    const parser = new Mp3FrameParser();
    const ready: Mp3Frame[] = [];
    let done = false;
    try {
      while (!parser.format || parser.stats.totalSamples <= skipOf(source, parser)) {
        const r = await source.iterator.next();
        if (r.done) {
          ready.push(...parser.end()); // INVALID_MP3 when there is no MPEG audio (to play) at all
          done = true;
          break;
        }
        ready.push(...parser.push(r.value));
      }
    } catch (err) {
      await source.iterator.return?.().catch(() => undefined);
      throw err;
    }
    return new Soundtrack(source, length, parser, ready, done);
  }

  /** Presentation time covered by the frames handed out so far, in seconds. */
  get coveredSeconds(): number {
    return Math.max(0, this.fedSamples - this.skip) / this.track.sampleRate;
  }

  get finished(): boolean {
    return this.ended;
  }

  /** Real samples in the whole input, once known (gapless-trimmed when the delay is known). */
  private playableSamples(): number | null {
    if (this.source.pcm) return this.source.pcm.inputSamples;
    if (!this.sourceDone) return null;
    return this.parser.playableSamples;
  }

  /**
   * The track's edit: skip the delay; when `videoSeconds` is final, also cut the end —
   * 'trim' at the video end (or the audio end, if earlier), 'loop' exactly at the video end,
   * 'full' after the last real sample.
   */
  edit(videoSeconds: number | null): TrackEdit {
    if (videoSeconds === null) return { mediaTime: this.skip };
    const videoSamples = Math.round(videoSeconds * this.track.sampleRate);
    const available = Math.max(0, this.fedSamples - this.skip);
    if (this.length === 'loop') return { mediaTime: this.skip, duration: videoSamples };
    const playable = this.playableSamples();
    if (this.length === 'full') return { mediaTime: this.skip, duration: playable ?? available };
    return { mediaTime: this.skip, duration: Math.min(videoSamples, playable ?? available, available) };
  }

  /** The next MP3 frame, or null when the audio is over ('loop' never ends by itself). */
  async next(): Promise<Mp3Frame | null> {
    while (!this.ended) {
      if (this.replayAt >= 0 && this.kept) {
        if (this.kept.length === 0) break;
        const f = this.kept[this.replayAt];
        this.replayAt = (this.replayAt + 1) % this.kept.length;
        return this.hand(f);
      }
      const f = this.ready.shift();
      if (f) {
        this.kept?.push(f);
        return this.hand(f);
      }
      if (this.sourceDone) {
        if (this.length !== 'loop' || this.fedSamples === 0) break;
        if (this.kept) this.replayAt = 0;
        else this.restart();
        continue;
      }
      const r = await this.source.iterator.next();
      if (r.done) {
        this.ready.push(...this.parser.end());
        this.sourceDone = true;
        // A loop reads the input again: its warnings were given on the first pass.
        if (this.passes === 0) this.warnings.push(...this.parser.warnings);
      } else this.ready.push(...this.parser.push(r.value));
    }
    this.ended = true;
    return null;
  }

  private hand(f: Mp3Frame): Mp3Frame {
    this.fedSamples += f.samples;
    return f;
  }

  /** Loops a re-readable source by reading it again from the start (whole frames, LAME tag skipped). */
  private restart(): void {
    const reopen = this.source.reopen as () => AsyncIterator<Uint8Array>;
    this.parser = new Mp3FrameParser();
    this.source.iterator = reopen();
    this.passes++;
    this.sourceDone = false;
  }

  /** Stops reading the source. */
  async close(): Promise<void> {
    this.ended = true;
    await this.source.iterator.return?.().catch(() => undefined);
  }
}
