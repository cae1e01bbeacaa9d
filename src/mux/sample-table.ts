// Compact, growable sample tables: the only state that grows with video length
// (about 4 bytes per sample, plus a few bytes per chunk and per run of equal durations).

class GrowableUint32 {
  data = new Uint32Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
  last(): number {
    return this.data[this.length - 1];
  }
}

class GrowableFloat64 {
  data = new Float64Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export class SampleTable {
  readonly sizes = new GrowableUint32();
  /** stts runs: parallel counts and deltas. */
  readonly sttsCounts = new GrowableUint32();
  readonly sttsDeltas = new GrowableUint32();
  /** 1-based numbers of sync samples. */
  readonly syncSamples = new GrowableUint32();
  readonly chunkOffsets = new GrowableFloat64();
  /** stsc runs: first chunk (1-based) and samples per chunk. */
  readonly stscFirstChunk = new GrowableUint32();
  readonly stscSamplesPerChunk = new GrowableUint32();
  private lastChunkSamples = -1;
  /** Sum of durations in the media timescale. */
  duration = 0;
  totalBytes = 0;
  maxSampleSize = 0;

  get sampleCount(): number {
    return this.sizes.length;
  }

  get allSync(): boolean {
    return this.syncSamples.length === this.sizes.length;
  }

  addSample(size: number, duration: number, sync: boolean): void {
    this.sizes.push(size);
    this.totalBytes += size;
    if (size > this.maxSampleSize) this.maxSampleSize = size;
    if (sync) this.syncSamples.push(this.sizes.length);
    const runs = this.sttsDeltas.length;
    if (runs > 0 && this.sttsDeltas.last() === duration) this.sttsCounts.data[runs - 1]++;
    else {
      this.sttsCounts.push(1);
      this.sttsDeltas.push(duration);
    }
    this.duration += duration;
  }

  /** Records a chunk of `samples` consecutive samples starting at file offset `offset`. */
  addChunk(offset: number, samples: number): void {
    this.chunkOffsets.push(offset);
    if (samples !== this.lastChunkSamples) {
      this.stscFirstChunk.push(this.chunkOffsets.length);
      this.stscSamplesPerChunk.push(samples);
      this.lastChunkSamples = samples;
    }
  }

  /** Adds `delta` to every chunk offset (used when moov is placed before the data). */
  shiftChunkOffsets(delta: number): void {
    const v = this.chunkOffsets.view();
    for (let i = 0; i < v.length; i++) v[i] += delta;
  }
}
