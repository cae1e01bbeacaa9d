// Fragmented MP4: ftyp + moov (with mvex), then one moof+mdat per video GOP carrying that GOP and
// the audio that plays during it. The file is playable while it is being written and stays
// decodable up to its last complete fragment if writing stops.
import { bytesBox, mdatHeader, serializeBoxes } from './box-serialize.js';
import { ftyp, moof, moov, mvex, trak, SAMPLE_FLAGS_NON_SYNC, SAMPLE_FLAGS_SYNC, type TrafParams } from './boxes.js';
import { editAndDuration, MuxerBase, type Muxer } from './muxer.js';
import type { Sink } from './sink.js';
import type { MuxSample, TrackInfo } from './types.js';

interface Lane {
  queue: MuxSample[];
  /** Decode time of queue[0], in the track timescale. */
  queueStart: number;
  /** Decode time just after the last pushed sample. */
  pushedEnd: number;
  ended: boolean;
}

export interface FragmentedMuxerOptions {
  sink: Sink;
  tracks: TrackInfo[];
  /** Longest fragment when a track has no sync samples to cut at (audio-only tails), seconds. */
  maxFragmentSeconds?: number;
  /** Decode time of each track's first sample (track timescale); default 0. Segments start where they sit in the whole video. */
  startTimes?: number[];
  /** Serialised boxes appended to the moov (e.g. a segment's `uuid` record). */
  moovExtra?: Uint8Array[];
}

export class FragmentedMuxer extends MuxerBase implements Muxer {
  private readonly lanes: Lane[];
  private readonly video: number;
  /** End decode times (video ticks) of complete GOPs not yet written. */
  private readonly gopEnds: number[] = [];
  private sequence = 1;
  /** Bytes written up to the end of the last complete fragment; 0 until one is complete. */
  private completeBytes = 0;
  private initWritten = false;
  private done = false;

  constructor(private readonly opts: FragmentedMuxerOptions) {
    super(opts.tracks, opts.sink);
    this.lanes = opts.tracks.map((_, i) => {
      const start = opts.startTimes?.[i] ?? 0;
      return { queue: [], queueStart: start, pushedEnd: start, ended: false };
    });
    this.video = opts.tracks.findIndex((t) => t.kind === 'video');
  }

  async addSample(track: number, sample: MuxSample): Promise<void> {
    const lane = this.lanes[track];
    if (track === this.video && sample.sync && lane.queue.length > 0) this.gopEnds.push(lane.pushedEnd);
    lane.queue.push(sample);
    lane.pushedEnd += sample.duration;
    await this.writeReady(false);
  }

  async endTrack(track: number): Promise<void> {
    const lane = this.lanes[track];
    if (lane.ended) return;
    lane.ended = true;
    if (track === this.video && lane.queue.length > 0) this.gopEnds.push(lane.pushedEnd);
    await this.writeReady(false);
  }

  async finish(): Promise<{ bytes: number }> {
    for (let i = 0; i < this.lanes.length; i++) await this.endTrack(i);
    await this.writeReady(true);
    await this.writeInit();
    await this.sink.close();
    this.done = true;
    return { bytes: this.written };
  }

  async abort(reason: unknown): Promise<void> {
    if (this.done) return;
    this.done = true;
    // Complete fragments already written stay playable (a fragment being written when the abort
    // came is cut off); with none complete there is nothing to keep.
    await this.sink.abort(reason, this.completeBytes === 0, this.completeBytes).catch(() => {});
  }

  private seconds(track: number, ticks: number): number {
    return ticks / this.tracks[track].info.timescale;
  }

  private async writeReady(final: boolean): Promise<void> {
    const v = this.video;
    while (this.gopEnds.length > 0) {
      const endSec = this.seconds(v, this.gopEnds[0]);
      // Every other track must have samples up to the GOP end, or have ended.
      const waiting = this.lanes.some((l, i) => i !== v && !l.ended && this.seconds(i, l.pushedEnd) < endSec);
      if (waiting && !final) return;
      const gopEnd = this.gopEnds.shift() as number;
      await this.writeFragment((track, start) => (track === v ? start < gopEnd : this.seconds(track, start) < endSec));
    }
    // Tracks that outlast the video (audioLength 'full') are flushed in fragments of bounded length.
    if (final || v < 0 || this.lanes[v].ended) {
      const max = this.opts.maxFragmentSeconds ?? 2;
      while (this.lanes.some((l) => l.queue.length > 0)) {
        const from = Math.min(...this.lanes.map((l, i) => (l.queue.length ? this.seconds(i, l.queueStart) : Infinity)));
        const until = from + max;
        const ready = final || this.lanes.every((l, i) => l.ended || this.seconds(i, l.pushedEnd) >= until);
        if (!ready) return;
        await this.writeFragment((track, start) => this.seconds(track, start) < until);
      }
    }
  }

  /** Writes one moof+mdat with, per track, the queued samples whose start satisfies `take`. */
  private async writeFragment(take: (track: number, start: number) => boolean): Promise<void> {
    await this.writeInit();
    const picked: { track: number; samples: MuxSample[]; base: number }[] = [];
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i];
      let t = lane.queueStart;
      let n = 0;
      while (n < lane.queue.length && take(i, t)) t += lane.queue[n++].duration;
      if (n === 0) continue;
      picked.push({ track: i, samples: lane.queue.splice(0, n), base: lane.queueStart });
      lane.queueStart = t;
    }
    if (picked.length === 0) return;
    const trafs: TrafParams[] = picked.map((p) => ({
      trackId: p.track + 1,
      baseMediaDecodeTime: p.base,
      durations: p.samples.map((s) => s.duration),
      sizes: p.samples.map((s) => s.data.length),
      flags: p.samples.map((s) => (s.sync ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC)),
      dataOffset: 0,
    }));
    // moof size does not depend on the offsets' values; size it, then fill them in.
    const moofSize = serializeBoxes([moof(this.sequence, trafs)]).length;
    let payload = 0;
    for (const p of picked) for (const s of p.samples) payload += s.data.length;
    const header = mdatHeader(payload);
    let offset = moofSize + header.length;
    picked.forEach((p, k) => {
      trafs[k].dataOffset = offset;
      for (const s of p.samples) offset += s.data.length;
    });
    await this.emit(serializeBoxes([moof(this.sequence++, trafs)]));
    await this.emit(header);
    // Samples go out one by one rather than joined: see Mp4Muxer.writeChunk.
    for (const p of picked) for (const s of p.samples) await this.emit(s.data);
    // complete only once its bytes are in the output: a file writes appends behind (Sink.settle)
    await this.sink.settle?.();
    if (!this.done) this.completeBytes = this.written;
  }

  private async writeInit(): Promise<void> {
    if (this.initWritten) return;
    this.initWritten = true;
    const traks = this.tracks.map((t, i) => {
      // Durations are unknown up front: an edit with duration 0 runs to the end of the media.
      const { edit } = editAndDuration(t, this.movieTimescale, 0);
      const e = edit ? { mediaTime: edit.mediaTime, segmentDuration: t.edit?.duration === undefined ? 0 : edit.segmentDuration } : undefined;
      return trak({ trackId: i + 1, info: t.info, table: t.table, movieDuration: 0, edit: e, fragmented: true, co64: false });
    });
    const init = serializeBoxes([
      ftyp(true),
      moov({
        timescale: this.movieTimescale,
        duration: 0,
        traks,
        mvex: mvex(this.tracks.map((_, i) => i + 1)),
        extra: (this.opts.moovExtra ?? []).map(bytesBox),
      }),
    ]);
    await this.emit(init.slice());
  }
}
