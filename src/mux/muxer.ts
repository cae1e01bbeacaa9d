// Shared muxer interface and per-track state.
import { SampleTable } from './sample-table.js';
import type { Sink } from './sink.js';
import type { MuxSample, TrackEdit, TrackInfo } from './types.js';

export interface Muxer {
  /** Adds the next sample of `track` (tracks are indexed as given to the muxer). */
  addSample(track: number, sample: MuxSample): Promise<void>;
  /** No more samples for `track`. */
  endTrack(track: number): Promise<void>;
  /** Sets a track's presentation window; must be called before the moov is written. */
  setEdit(track: number, edit: TrackEdit | undefined): void;
  /** Writes what is left and closes the sink. */
  finish(): Promise<{ bytes: number }>;
  /** Stops, closing the sink; partial non-fragmented output is flagged incomplete. */
  abort(reason: unknown): Promise<void>;
  readonly bytesWritten: number;
}

export interface TrackState {
  info: TrackInfo;
  table: SampleTable;
  edit?: TrackEdit;
}

/** What both layouts share: per-track tables and edits, the movie timescale, and byte counting. */
export abstract class MuxerBase {
  protected readonly tracks: TrackState[];
  /**
   * A multiple of the video track's timescale, so video durations are exact in mvhd/tkhd, and at
   * least 1000 ticks per second, so edits of other tracks can be cut to within a millisecond (a
   * 7 fps video has timescale 7: an audio edit in 1/7 s steps would over- or undershoot by 70 ms).
   */
  protected readonly movieTimescale: number;
  protected written = 0;

  constructor(
    tracks: TrackInfo[],
    protected readonly sink: Sink,
  ) {
    this.tracks = tracks.map((info) => ({ info, table: new SampleTable() }));
    const base = (tracks.find((t) => t.kind === 'video') ?? tracks[0]).timescale;
    this.movieTimescale = base * Math.max(1, Math.ceil(1000 / base));
  }

  get bytesWritten(): number {
    return this.written;
  }

  setEdit(track: number, edit: TrackEdit | undefined): void {
    this.tracks[track].edit = edit;
  }

  /** Writes to the output sink and counts the bytes. */
  protected async emit(bytes: Uint8Array): Promise<void> {
    await this.sink.write(bytes);
    this.written += bytes.length;
  }
}

/** Converts ticks between timescales, rounding to nearest. */
export function rescale(ticks: number, from: number, to: number): number {
  return from === to ? ticks : Math.round((ticks * to) / from);
}

/** The elst entry (segment duration in movie ticks) and tkhd duration of a track. */
export function editAndDuration(
  t: TrackState,
  movieTimescale: number,
  mediaDuration: number,
): { edit?: { mediaTime: number; segmentDuration: number }; movieDuration: number } {
  const ts = t.info.timescale;
  if (!t.edit) return { movieDuration: rescale(mediaDuration, ts, movieTimescale) };
  const media = Math.max(0, mediaDuration - t.edit.mediaTime);
  const play = t.edit.duration ?? media;
  let segmentDuration = rescale(play, ts, movieTimescale);
  // Rounding to the nearest movie tick must not make the edit run past the samples there are
  // (ISO/IEC 14496-12 8.6.6: the edit maps movie time onto media time that exists).
  if (play <= media && mediaDuration > 0 && rescale(segmentDuration, movieTimescale, ts) > media) segmentDuration = Math.floor((play * movieTimescale) / ts);
  return { edit: { mediaTime: t.edit.mediaTime, segmentDuration }, movieDuration: segmentDuration };
}
