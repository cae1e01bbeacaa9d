// Decides the order of chunks in a progressive file: each track's samples are grouped into chunks of
// about `chunkSeconds`, and chunks are released in order of their start time across tracks, so a
// player reading the file front to back never starves one track.
import type { MuxSample } from './types.js';

interface Lane {
  timescale: number;
  queue: MuxSample[];
  queuedTicks: number;
  /** Start time (ticks) of the first queued sample = end of what was released. */
  releasedTicks: number;
  ended: boolean;
}

export interface ReleasedChunk {
  track: number;
  samples: MuxSample[];
}

export class Interleaver {
  private readonly lanes: Lane[];

  constructor(
    timescales: number[],
    private readonly chunkSeconds = 0.5,
  ) {
    this.lanes = timescales.map((timescale) => ({ timescale, queue: [], queuedTicks: 0, releasedTicks: 0, ended: false }));
  }

  push(track: number, sample: MuxSample): void {
    const lane = this.lanes[track];
    lane.queue.push(sample);
    lane.queuedTicks += sample.duration;
  }

  end(track: number): void {
    this.lanes[track].ended = true;
  }

  /** Chunks that can be written now, in file order. `flush` releases everything (end of input). */
  release(flush = false): ReleasedChunk[] {
    const out: ReleasedChunk[] = [];
    for (;;) {
      let next = -1;
      let nextStart = Infinity;
      for (let i = 0; i < this.lanes.length; i++) {
        const lane = this.lanes[i];
        if (lane.queue.length === 0 && (lane.ended || flush)) continue;
        const start = lane.releasedTicks / lane.timescale;
        if (start < nextStart) {
          nextStart = start;
          next = i;
        }
      }
      if (next < 0) return out;
      const lane = this.lanes[next];
      const chunkTicks = this.chunkSeconds * lane.timescale;
      // The earliest lane decides; if it cannot fill a chunk yet, later lanes must wait for it.
      if (lane.queuedTicks < chunkTicks && !lane.ended && !flush) return out;
      if (lane.queue.length === 0) return out;
      let ticks = 0;
      let n = 0;
      while (n < lane.queue.length && (n === 0 || ticks < chunkTicks)) ticks += lane.queue[n++].duration;
      const samples = lane.queue.splice(0, n);
      lane.queuedTicks -= ticks;
      lane.releasedTicks += ticks;
      out.push({ track: next, samples });
    }
  }
}
