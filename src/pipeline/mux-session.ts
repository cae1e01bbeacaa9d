// One mux session: the output, a muxer for the video track (plus the soundtrack, if any), and the
// audio pumped just ahead of the video so the muxer interleaves with little buffering; at the end,
// the audio edit list and the result. The writer (and so renderVideo), renderSegment and
// stitchSegments all write through it.
import type { AvcConfig } from '../encode/avc.js';
import { buildAvcC } from '../encode/avc.js';
import type { BackendInfo } from '../encode/backend.js';
import { FragmentedMuxer } from '../mux/fragmented-muxer.js';
import { Mp4Muxer } from '../mux/mp4-muxer.js';
import type { Muxer } from '../mux/muxer.js';
import type { Sink } from '../mux/sink.js';
import type { ColourInfo, Layout, VideoTrackInfo } from '../mux/types.js';
import { resolveOutput } from '../output.js';
import { refuseOutputOverInputs, type RunInput } from '../platform/io.js';
import type { AudioSummary, OutputResult } from '../results.js';
import { Soundtrack, type AudioEncodeOptions, type AudioInput, type AudioLength } from '../soundtrack.js';

const VIDEO = 0;
const AUDIO = 1;

/** Colour description of every stream mp4forge encodes (segments and stitched files too). */
export const COLOUR: ColourInfo = {
  // Generated pixels are sRGB; they are converted with the BT.601 matrix into limited range.
  primaries: 1, // BT.709 / sRGB primaries
  transfer: 13, // IEC 61966-2-1 (sRGB)
  matrix: 6, // BT.601 (SMPTE 170M)
  fullRange: false,
};

/** A video sample as encoders give it (and stitch reads it back). */
export interface VideoSample {
  data: Uint8Array;
  keyframe: boolean;
}

export interface MuxSessionOptions {
  /** avcC payload, or the encoder's configuration to build it from. */
  avc: Uint8Array | AvcConfig;
  width: number;
  height: number;
  timescale: number;
  frameDuration: number;
  colour?: ColourInfo;
  layout: Layout;
  /** The `output` option as given (validated by resolveOutput). */
  output: unknown;
  /** Files the run reads besides an `audio` path (segments, a scene module): a file output must be none of them. */
  inputs?: readonly RunInput[];
  audio?: AudioInput;
  audioLength?: AudioLength;
  audioEncoding?: AudioEncodeOptions;
  /** The encoder that made the video, reported in the result. */
  encoder: BackendInfo;
  /**
   * A segment: fragmented, starting at frame `startFrame` of the whole video, with `record` (the
   * serialised segment record) in the moov. A failed segment is always deleted: a segment cut
   * short is of no use, the stitcher would refuse it.
   */
  segment?: { startFrame: number; record: Uint8Array };
}

export class MuxSession {
  private muxed = 0;
  private audioFrames = 0;

  private constructor(
    private readonly o: MuxSessionOptions,
    private readonly muxer: Muxer,
    private readonly soundtrack: Soundtrack | null,
    private readonly memory: { data(): Uint8Array } | null,
  ) {}

  /** Opens the soundtrack, if any, and the output. On failure `undo` runs first, then whatever was opened is closed. */
  static async open(o: MuxSessionOptions, undo: () => unknown = () => undefined): Promise<MuxSession> {
    let soundtrack: Soundtrack | null = null;
    let out;
    try {
      if (typeof o.output === 'string') {
        const audio = typeof o.audio === 'string' ? [{ what: 'audio', path: o.audio }] : [];
        await refuseOutputOverInputs(o.output, [...audio, ...(o.inputs ?? [])]);
      }
      if (o.audio !== undefined) soundtrack = await Soundtrack.open(o.audio, o.audioLength ?? 'trim', o.audioEncoding);
      out = await resolveOutput(o.output);
    } catch (err) {
      await undo();
      await soundtrack?.close();
      throw err;
    }
    const video: VideoTrackInfo = {
      kind: 'video',
      avcC: o.avc instanceof Uint8Array ? o.avc : buildAvcC(o.avc),
      width: o.width,
      height: o.height,
      timescale: o.timescale,
      colour: o.colour ?? COLOUR,
    };
    const tracks = soundtrack ? [video, soundtrack.track] : [video];
    let muxer: Muxer;
    if (o.segment) {
      const sink = out.sink;
      const segmentSink: Sink = { ...bindSink(sink), abort: (reason) => sink.abort(reason, true) };
      muxer = new FragmentedMuxer({ sink: segmentSink, tracks, startTimes: [o.segment.startFrame * o.frameDuration], moovExtra: [o.segment.record] });
    } else if (o.layout === 'fragmented') {
      muxer = new FragmentedMuxer({ sink: out.sink, tracks });
    } else {
      muxer = new Mp4Muxer({ layout: o.layout, sink: out.sink, tracks, openSpool: out.openSpool });
    }
    if (soundtrack) muxer.setEdit(AUDIO, soundtrack.edit(null));
    return new MuxSession(o, muxer, soundtrack, out.memory);
  }

  /** Video frames muxed so far. */
  get frames(): number {
    return this.muxed;
  }

  /** Bytes written to the output so far. */
  get bytes(): number {
    return this.muxer.bytesWritten;
  }

  /** Seconds of video muxed so far. */
  get durationSeconds(): number {
    return (this.muxed * this.o.frameDuration) / this.o.timescale;
  }

  /** Adds the next video frames, then the audio that plays during them. */
  async addVideo(frames: readonly VideoSample[]): Promise<void> {
    for (const f of frames) {
      await this.muxer.addSample(VIDEO, { data: f.data, duration: this.o.frameDuration, sync: f.keyframe });
      this.muxed++;
    }
    if (this.soundtrack) await this.pumpAudio(this.durationSeconds);
  }

  /** Ends both tracks, sets the audio edit, writes the index and closes the output. */
  async finish(): Promise<OutputResult> {
    await this.muxer.endTrack(VIDEO);
    const durationSeconds = this.durationSeconds;
    let audio: AudioSummary | undefined;
    const st = this.soundtrack;
    if (st) {
      await this.pumpAudio(this.o.audioLength === 'full' ? Infinity : durationSeconds);
      await this.muxer.endTrack(AUDIO);
      const edit = st.edit(durationSeconds);
      this.muxer.setEdit(AUDIO, edit);
      await st.close();
      const t = st.track;
      audio = { durationSeconds: (edit.duration ?? 0) / t.sampleRate, sampleRate: t.sampleRate, channels: t.channels, frames: this.audioFrames };
      if (st.warnings.length > 0) audio.warnings = [...st.warnings];
    }
    const { bytes } = await this.muxer.finish();
    return {
      frames: this.muxed,
      durationSeconds,
      bytes,
      layout: this.o.segment ? 'fragmented' : this.o.layout,
      videoEncoder: this.o.encoder.id,
      ...(audio ? { audio } : {}),
      ...(this.memory ? { data: this.memory.data() } : {}),
      ...(typeof this.o.output === 'string' ? { path: this.o.output } : {}),
    };
  }

  /** Stops: the soundtrack is closed and the output aborted (a non-fragmented file is deleted). */
  async abort(reason: unknown): Promise<void> {
    await this.soundtrack?.close();
    await this.muxer.abort(reason).catch(() => undefined);
  }

  /** Hands MP3 frames to the muxer until the audio covers `seconds` of presentation time (or ends). */
  private async pumpAudio(seconds: number): Promise<void> {
    const st = this.soundtrack as Soundtrack;
    while (!st.finished && st.coveredSeconds < seconds) {
      const f = await st.next();
      if (!f) {
        await this.muxer.endTrack(AUDIO);
        return;
      }
      await this.muxer.addSample(AUDIO, { data: f.data, duration: f.samples, sync: true });
      this.audioFrames++;
    }
  }
}

/** The sink's methods bound to it, so they can be spread into a wrapper. */
function bindSink(s: Sink): Sink {
  return {
    write: (b) => s.write(b),
    ...(s.writeAt && s.readAt ? { writeAt: s.writeAt.bind(s), readAt: s.readAt.bind(s) } : {}),
    ...(s.settle ? { settle: s.settle.bind(s) } : {}),
    close: () => s.close(),
    abort: (r, incomplete, completeBytes) => s.abort(r, incomplete, completeBytes),
  };
}
