// Human-readable summary of a probe result, for `mp4forge probe out.mp4`.
import type { Mp4ProbeResult, Mp4ProbeTrack } from './mp4-probe.js';

const LAYOUT_NOTE: Record<Mp4ProbeResult['layout'], string> = {
  faststart: 'moov before mdat: plays while downloading',
  progressive: 'moov after mdat: needs the whole file before playing',
  fragmented: 'movie fragments',
};

function bytes(n: number): string {
  return n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(2)} MB`;
}

function rate(bps: number): string {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(1)} kbit/s`;
}

/** Top-level box order, with runs of a repeating box or box pair collapsed: `ftyp, moov, 10 × (moof, mdat)`. */
export function summarizeBoxes(types: readonly string[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < types.length) {
    let done = false;
    for (const unit of [1, 2]) {
      let n = 1;
      while (i + (n + 1) * unit <= types.length && sameRun(types, i, i + n * unit, unit)) n++;
      if (n > 1) {
        const group = types.slice(i, i + unit);
        parts.push(`${n} × ${unit === 1 ? group[0] : `(${group.join(', ')})`}`);
        i += n * unit;
        done = true;
        break;
      }
    }
    if (!done) parts.push(types[i++]);
  }
  return parts.join(', ');
}

function sameRun(t: readonly string[], a: number, b: number, unit: number): boolean {
  for (let k = 0; k < unit; k++) if (t[a + k] !== t[b + k]) return false;
  return true;
}

function trackLine(t: Mp4ProbeTrack, movieTimescale: number): string[] {
  const head = [`Track ${t.id}: ${t.type} ${t.codec}`];
  if (t.width !== undefined) head.push(`${t.width}×${t.height}`);
  if (t.frameRate) {
    const f = t.frameRate;
    head.push(`${f.den === 1 ? f.num : `${f.num}/${f.den} (${f.fps.toFixed(3)})`} fps${f.constant ? '' : ' average'}`);
  }
  if (t.sampleRate !== undefined) head.push(`${t.sampleRate} Hz`, t.channels === 1 ? 'mono' : t.channels === 2 ? 'stereo' : `${t.channels} channels`);
  const lines = [head.join(', ')];
  lines.push(
    `  ${t.samples} samples (${t.keyframes} keyframe${t.keyframes === 1 ? '' : 's'}), ${t.durationSeconds.toFixed(3)} s (${t.mediaDuration} ticks at timescale ${t.timescale}), ${bytes(t.bytes)}, ${rate(t.bitrate)}`,
  );
  if (t.editList) {
    const secs = (ticks: number, scale: number) => (scale > 0 ? `${(ticks / scale).toFixed(3)} s` : `${ticks} ticks`);
    const edits = t.editList.map((e) =>
      e.mediaTime === -1
        ? `empty ${secs(e.segmentDuration, movieTimescale)}`
        : `play ${secs(e.segmentDuration, movieTimescale)} from media time ${e.mediaTime} (${secs(e.mediaTime, t.timescale)})${e.mediaRate !== 1 ? ` at rate ${e.mediaRate}` : ''}`,
    );
    lines.push(`  Edit list: ${edits.join('; ')}`);
  }
  return lines;
}

/** Multi-line description: size, brand, layout, duration, boxes, then one block per track. */
export function describeMp4(r: Mp4ProbeResult): string {
  const lines = [
    `MP4, ${bytes(r.size)}, brand ${r.brand.major} (compatible: ${r.brand.compatible.join(', ') || 'none'})`,
    `Layout: ${r.layout} (${LAYOUT_NOTE[r.layout]}${r.layout === 'fragmented' ? `: ${r.fragments}` : ''})`,
    `Duration: ${r.durationSeconds.toFixed(3)} s (movie timescale ${r.timescale})`,
    `Boxes: ${summarizeBoxes(r.boxes.map((b) => b.type))}`,
  ];
  if (r.segment) {
    const g = r.segment;
    const e = g.encoder;
    const fps = g.fps.den === 1 ? `${g.fps.num}` : `${g.fps.num}/${g.fps.den}`;
    lines.push(
      `Segment (mp4forge): frames ${g.start}–${g.end - 1} (${g.end - g.start})${g.total !== undefined ? ` of ${g.total}` : ''}, ${g.width}×${g.height} at ${fps} fps, ` +
        `${e.id} ${e.version}, ${e.kbps > 0 ? `${e.kbps} kbit/s` : `qp ${e.qp}`}${e.speed !== undefined ? `, speed ${e.speed}` : ''}, GOP ${e.gop} (chunks of ${e.chunkFrames} frames)` +
        `${e.temporalDenoise ? ', temporal denoise' : ''}` +
        `${g.layout ? `, stitch to ${g.layout}` : ''}`,
    );
  }
  for (const t of r.tracks) lines.push(...trackLine(t, r.timescale));
  if (r.tracks.length === 0) lines.push('No tracks');
  return lines.join('\n');
}
