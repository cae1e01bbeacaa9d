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
  /** The video track's timescale, so video durations are exact in mvhd/tkhd. */
  protected readonly movieTimescale: number;
  protected written = 0;

  constructor(
    tracks: TrackInfo[],
    protected readonly sink: Sink,
  ) {
    this.tracks = tracks.map((info) => ({ info, table: new SampleTable() }));
    this.movieTimescale = (tracks.find((t) => t.kind === 'video') ?? tracks[0]).timescale;
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
export function editAndDuration(t: TrackState, movieTimescale: number, mediaDuration: number): { edit?: { mediaTime: number; segmentDuration: number }; movieDuration: number } {
  const ts = t.info.timescale;
  if (!t.edit) return { movieDuration: rescale(mediaDuration, ts, movieTimescale) };
  const play = t.edit.duration ?? Math.max(0, mediaDuration - t.edit.mediaTime);
  const segmentDuration = rescale(play, ts, movieTimescale);
  return { edit: { mediaTime: t.edit.mediaTime, segmentDuration }, movieDuration: segmentDuration };
}
