// Shared muxer interface and per-track state.
import { SampleTable } from './sample-table.js';
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

export function trackStates(tracks: TrackInfo[]): TrackState[] {
  return tracks.map((info) => ({ info, table: new SampleTable() }));
}

/** The movie timescale is the video track's, so video durations are exact in mvhd/tkhd. */
export function movieTimescaleOf(tracks: TrackInfo[]): number {
  return (tracks.find((t) => t.kind === 'video') ?? tracks[0]).timescale;
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
