// Human-readable summary of a parse result, for `mp4forge probe song.mp3`.

import type { Mp3FrameInfo, Mp3ParseResult } from './mp3-parser.js';

const LAYER = ['', 'I', 'II', 'III'];
const MODE: Record<string, string> = { stereo: 'stereo', 'joint-stereo': 'joint stereo', 'dual-channel': 'dual channel', mono: 'mono' };

function seconds(s: number): string {
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return m > 0 ? `${m}:${rest.toFixed(3).padStart(6, '0')} (${s.toFixed(3)} s)` : `${s.toFixed(3)} s`;
}

function kb(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(2)} MiB`;
}

/** Multi-line description of an MP3 parse result (format, duration, bitrate, gapless, tags, junk). */
export function describeMp3(r: Mp3ParseResult<Mp3FrameInfo>): string {
  const f = r.format;
  const lines: string[] = [];
  lines.push(
    `MPEG-${f.mpegVersion} Layer ${LAYER[f.layer]}, ${f.sampleRate} Hz, ${f.channels === 1 ? 'mono' : `stereo (${MODE[r.channelMode] ?? r.channelMode})`}`,
  );
  lines.push(`Frames: ${r.frames.length} × ${f.samplesPerFrame} samples = ${r.totalSamples} samples, ${seconds(r.durationSeconds)}`);
  if (r.gapless) {
    const cut = r.warnings.some((w) => w.code === 'MP3_FRAME_COUNT_MISMATCH');
    lines.push(
      `Gapless: encoder delay ${r.gapless.encoderDelay}, padding ${r.gapless.padding}${cut ? ' (not applied, see the warning)' : ''} → ${r.playableSamples} playable samples, ${seconds(r.playableDurationSeconds)}`,
    );
  } else {
    lines.push('Gapless: no LAME tag (encoder delay and padding unknown)');
  }
  const b = r.bitrate;
  lines.push(
    b.mode === 'cbr'
      ? `Bitrate: CBR ${b.minKbps} kbit/s`
      : `Bitrate: VBR, average ${b.averageKbps.toFixed(1)} kbit/s (min ${b.minKbps}, max ${b.maxKbps})`,
  );
  const i = r.infoFrame;
  if (i) {
    const name = i.kind === 'vbri' ? 'VBRI' : i.kind === 'xing' ? 'Xing' : 'Info';
    const parts = [`${name} header frame at byte ${i.offset} (${i.size} bytes, not audio)`];
    if (i.frames !== null) parts.push(`declares ${i.frames} frames`);
    if (i.bytes !== null) parts.push(`${i.bytes} bytes`);
    if (i.lame) parts.push(`encoder "${i.lame.encoder}"`);
    lines.push(parts.join(', '));
  }
  if (r.tags.length === 0) lines.push('Tags: none');
  else {
    lines.push(
      `Tags: ${r.tags
        .map(
          (t) =>
            `${t.kind}${t.version && t.kind === 'id3v2' ? ` v${t.version}` : ''} at ${t.offset} (${kb(t.size)}${t.truncated ? ', cut off by end of input' : ''})`,
        )
        .join('; ')}`,
    );
  }
  const s = r.stats;
  lines.push(`Audio bytes: ${kb(s.bytes)} of ${kb(s.inputBytes)} input`);
  if (s.junkBytes > 0 || s.truncatedBytes > 0) {
    lines.push(`Skipped: ${s.junkBytes} junk bytes, ${s.truncatedBytes} bytes in ${s.droppedFrames} cut-off frame(s)`);
  }
  for (const w of r.warnings) lines.push(`Warning: ${w.message}`);
  return lines.join('\n');
}
