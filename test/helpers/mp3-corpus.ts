// MP3 test corpus made on the fly by the npm ffmpeg (libmp3lame, mp2), plus byte-level builders for
// the tags and hand-made streams the edge-case tests need. Nothing here uses our own parser.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FFMPEG, FFPROBE, run } from './oracles.js';

export interface CorpusSpec {
  name: string;
  sampleRate: number;
  channels: 1 | 2;
  seconds: number;
  /** Encoder arguments after `-c:a libmp3lame`. */
  args: string[];
  /** False when `-write_xing 0` removes the Xing/Info frame (and with it the LAME tag). */
  xing: boolean;
  codec?: 'libmp3lame' | 'mp2';
}

export interface CorpusFile extends CorpusSpec {
  path: string;
  bytes: Uint8Array;
  /** Samples per channel the source had (what a gapless decoder should return). */
  sourceSamples: number;
}

function spec(name: string, sampleRate: number, channels: 1 | 2, seconds: number, args: string[], xing = true): CorpusSpec {
  return { name, sampleRate, channels, seconds, args: xing ? args : [...args, '-write_xing', '0'], xing };
}

/** A few dozen files: CBR 8–320 kbit/s, VBR q0/q9, ABR, every LAME sample rate, mono/stereo, ±Xing. */
export const CORPUS_SPECS: CorpusSpec[] = [
  spec('cbr32-32k-mono', 32000, 1, 3, ['-b:a', '32k']),
  spec('cbr40-32k-mono-noxing', 32000, 1, 2.5, ['-b:a', '40k'], false),
  spec('cbr64-44k-stereo', 44100, 2, 3, ['-b:a', '64k']),
  spec('cbr128-44k-stereo', 44100, 2, 3.3, ['-b:a', '128k']),
  spec('cbr128-44k-mono', 44100, 1, 2.2, ['-b:a', '128k']),
  spec('cbr128-44k-stereo-lr', 44100, 2, 2, ['-b:a', '128k', '-joint_stereo', '0']),
  spec('cbr192-48k-stereo', 48000, 2, 3, ['-b:a', '192k']),
  spec('cbr256-48k-stereo-noxing', 48000, 2, 2.4, ['-b:a', '256k'], false),
  spec('cbr320-44k-stereo', 44100, 2, 3.7, ['-b:a', '320k']),
  spec('cbr320-32k-stereo-noxing', 32000, 2, 2, ['-b:a', '320k'], false),
  spec('cbr8-8k-mono', 8000, 1, 2, ['-b:a', '8k']),
  spec('cbr16-8k-stereo-noxing', 8000, 2, 2.1, ['-b:a', '16k'], false),
  spec('cbr24-11k-mono', 11025, 1, 3, ['-b:a', '24k']),
  spec('cbr32-12k-stereo', 12000, 2, 2.6, ['-b:a', '32k']),
  spec('cbr48-16k-stereo', 16000, 2, 3, ['-b:a', '48k']),
  spec('cbr64-22k-stereo', 22050, 2, 3.2, ['-b:a', '64k']),
  spec('cbr96-24k-stereo-noxing', 24000, 2, 2.9, ['-b:a', '96k'], false),
  spec('cbr160-24k-stereo', 24000, 2, 3.1, ['-b:a', '160k']),
  spec('vbr0-44k-stereo', 44100, 2, 3.3, ['-q:a', '0']),
  spec('vbr9-44k-stereo', 44100, 2, 3, ['-q:a', '9']),
  spec('vbr0-22k-mono', 22050, 1, 2.8, ['-q:a', '0']),
  spec('vbr9-8k-mono', 8000, 1, 2.7, ['-q:a', '9']),
  spec('vbr0-48k-stereo-noxing', 48000, 2, 3, ['-q:a', '0'], false),
  spec('vbr5-16k-stereo', 16000, 2, 2.5, ['-q:a', '5']),
  spec('vbr4-11k-stereo', 11025, 2, 2.4, ['-q:a', '4']),
  spec('vbr2-32k-mono-noxing', 32000, 1, 2, ['-q:a', '2'], false),
  spec('abr128-44k-stereo', 44100, 2, 3, ['-abr', '1', '-b:a', '128k']),
  spec('abr128-48k-stereo-noxing', 48000, 2, 3, ['-abr', '1', '-b:a', '128k'], false),
  spec('abr64-22k-mono', 22050, 1, 3.5, ['-abr', '1', '-b:a', '64k']),
  spec('abr32-12k-mono', 12000, 1, 2, ['-abr', '1', '-b:a', '32k']),
];

/** Layer II files from ffmpeg's mp2 encoder (MPEG-1 and MPEG-2 sample rates). */
export const LAYER2_SPECS: CorpusSpec[] = [
  { ...spec('mp2-192-44k-stereo', 44100, 2, 3, ['-b:a', '192k']), codec: 'mp2', xing: false },
  { ...spec('mp2-64-24k-mono', 24000, 1, 3, ['-b:a', '64k']), codec: 'mp2', xing: false },
  { ...spec('mp2-96-16k-stereo', 16000, 2, 2, ['-b:a', '96k']), codec: 'mp2', xing: false },
];

/** A sweep plus a little noise (so VBR actually varies); distinct content per channel. */
function sourceFilter(s: CorpusSpec): string {
  const left = '0.4*sin(2*PI*(200+400*t)*t)+0.03*(random(0)-0.5)';
  const right = '0.3*sin(2*PI*440*t)+0.2*sin(2*PI*(3000-500*t)*t)+0.05*(random(1)-0.5)';
  const exprs = s.channels === 1 ? left : `${left}|${right}`;
  return `aevalsrc=exprs='${exprs}':s=${s.sampleRate}:d=${s.seconds}`;
}

async function encode(s: CorpusSpec, dir: string): Promise<CorpusFile> {
  const ext = s.codec === 'mp2' ? 'mp2' : 'mp3';
  const path = join(dir, `${s.name}.${ext}`);
  const r = await run(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', sourceFilter(s), '-c:a', s.codec ?? 'libmp3lame', ...s.args, path,
  ]);
  if (r.code !== 0) throw new Error(`ffmpeg failed for ${s.name}: ${r.stderr}`);
  return { ...s, path, bytes: new Uint8Array(readFileSync(path)), sourceSamples: Math.round(s.sampleRate * s.seconds + 1e-6) };
}

/** Runs tasks with at most `limit` in flight (2 cores). */
export async function pool<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface Corpus {
  dir: string;
  files: CorpusFile[];
  layer2: CorpusFile[];
  byName(name: string): CorpusFile;
  /** Writes bytes to a file in the corpus directory and returns its path. */
  write(name: string, bytes: Uint8Array): Promise<string>;
  cleanup(): void;
}

/** Generates the corpus into a fresh temp directory (once per test run). */
export async function makeCorpus(): Promise<Corpus> {
  const dir = mkdtempSync(join(tmpdir(), 'mp4forge-mp3-'));
  const all = await pool([...CORPUS_SPECS, ...LAYER2_SPECS], 2, (s) => encode(s, dir));
  const files = all.slice(0, CORPUS_SPECS.length);
  const layer2 = all.slice(CORPUS_SPECS.length);
  const { writeFile } = await import('node:fs/promises');
  return {
    dir,
    files,
    layer2,
    byName(name) {
      const f = all.find((x) => x.name === name);
      if (!f) throw new Error(`no corpus file ${name}`);
      return f;
    },
    async write(name, bytes) {
      const p = join(dir, name);
      await writeFile(p, bytes);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- oracles ---------------------------------------------------------------------------------------

export interface PacketPos {
  pos: number;
  size: number;
}

/** ffprobe's arguments for a JSON answer about `file`, read as `forceFormat` when given. */
function ffprobeArgs(file: string, forceFormat: string | undefined, ...query: string[]): string[] {
  return ['-v', 'error', ...(forceFormat ? ['-f', forceFormat] : []), ...query, '-print_format', 'json', file];
}

/** ffprobe's packet list (byte position and size) for the first audio stream. */
export async function probePacketPositions(file: string, forceFormat?: string): Promise<PacketPos[]> {
  const args = ffprobeArgs(file, forceFormat, '-select_streams', 'a:0', '-show_entries', 'packet=pos,size');
  const r = await run(FFPROBE, args);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  const j = JSON.parse(r.stdout.toString()) as { packets?: { pos: string; size: string }[] };
  return (j.packets ?? []).map((p) => ({ pos: Number(p.pos), size: Number(p.size) }));
}

export interface ProbeAudio {
  codec_name: string;
  sample_rate: number;
  channels: number;
  start_time: number;
  nb_read_packets: number;
}

export async function probeAudio(file: string, forceFormat?: string): Promise<ProbeAudio> {
  const entries = 'stream=codec_name,sample_rate,channels,start_time,nb_read_packets';
  const args = ffprobeArgs(file, forceFormat, '-count_packets', '-select_streams', 'a:0', '-show_entries', entries);
  const r = await run(FFPROBE, args);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  const s = (JSON.parse(r.stdout.toString()) as { streams: Record<string, string | number>[] }).streams[0];
  return {
    codec_name: String(s.codec_name),
    sample_rate: Number(s.sample_rate),
    channels: Number(s.channels),
    start_time: Number(s.start_time),
    nb_read_packets: Number(s.nb_read_packets),
  };
}

/** Samples per channel ffmpeg (2018) decodes from a file, with its default gapless handling. */
export async function decodedSamples(file: string, channels: number, forceFormat?: string): Promise<number> {
  const r = await run(FFMPEG, [
    '-hide_banner',
    '-v',
    'error',
    ...(forceFormat ? ['-f', forceFormat] : []),
    '-i',
    file,
    '-f',
    's16le',
    '-acodec',
    'pcm_s16le',
    '-',
  ]);
  if (r.code !== 0) throw new Error(`ffmpeg decode failed on ${file}: ${r.stderr}`);
  return r.stdout.length / 2 / channels;
}

// --- byte builders -------------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function ascii(s: string): Uint8Array {
  return new Uint8Array([...s].map((c) => c.charCodeAt(0) & 0xff));
}

function syncsafe(n: number): number[] {
  return [(n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f];
}

/** Size of a leading ID3v2 tag per its header (0 when none), read independently of src/. */
export function leadingId3Size(b: Uint8Array): number {
  if (b[0] !== 0x49 || b[1] !== 0x44 || b[2] !== 0x33) return 0;
  const size = (b[6] << 21) | (b[7] << 14) | (b[8] << 7) | b[9];
  return 10 + size + (b[3] === 4 && b[5] & 0x10 ? 10 : 0);
}

export function stripId3(b: Uint8Array): Uint8Array {
  return b.subarray(leadingId3Size(b));
}

/**
 * A picture payload full of false MPEG sync words: MPEG-1 Layer III 128 kbit/s 44.1 kHz headers
 * every 417 bytes (exactly that header's frame length), so a parser that scanned it would see
 * chains of agreeing headers.
 */
export function fakeSyncPayload(size: number, seed = 7): Uint8Array {
  const rnd = prng(seed);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (rnd() * 256) | 0;
  b.set([0xff, 0xd8, 0xff, 0xe0]);
  for (let p = 16; p + 4 <= size; p += 417) b.set([0xff, 0xfb, 0x90, 0x64], p);
  return b;
}

/** ID3v2.3 tag with a TIT2 and an APIC frame (v2.3 frame sizes are plain 32-bit). */
export function id3v23WithPicture(picture: Uint8Array, title = 'Test'): Uint8Array {
  const frame = (id: string, body: Uint8Array): Uint8Array => {
    const h = new Uint8Array(10);
    h.set(ascii(id));
    new DataView(h.buffer).setUint32(4, body.length);
    return concat(h, body);
  };
  const tit2 = frame('TIT2', concat(new Uint8Array([0]), ascii(title)));
  const apic = frame('APIC', concat(new Uint8Array([0]), ascii('image/jpeg\0'), new Uint8Array([3]), ascii('\0'), picture));
  const padding = new Uint8Array(256);
  const body = concat(tit2, apic, padding);
  return concat(ascii('ID3'), new Uint8Array([3, 0, 0, ...syncsafe(body.length)]), body);
}

/** ID3v2.4 tag with a footer ("3DI"); v2.4 frame sizes are syncsafe. */
export function id3v24WithFooter(title = 'Footer test'): Uint8Array {
  const text = concat(new Uint8Array([3]), ascii(title));
  const frame = concat(ascii('TIT2'), new Uint8Array([...syncsafe(text.length), 0, 0]), text);
  const size = syncsafe(frame.length);
  return concat(ascii('ID3'), new Uint8Array([4, 0, 0x10, ...size]), frame, ascii('3DI'), new Uint8Array([4, 0, 0x10, ...size]));
}

/** ID3v2.2 tag (3-letter frame ids). */
export function id3v22(title = 'v2.2'): Uint8Array {
  const text = concat(new Uint8Array([0]), ascii(title));
  const frame = concat(ascii('TT2'), new Uint8Array([0, 0, text.length]), text);
  return concat(ascii('ID3'), new Uint8Array([2, 0, 0, ...syncsafe(frame.length)]), frame);
}

/** 128-byte ID3v1.1 tag. */
export function id3v1(title = 'Title'): Uint8Array {
  const b = new Uint8Array(128);
  b.set(ascii('TAG'));
  b.set(ascii(title.slice(0, 30)), 3);
  b[126] = 1; // track
  b[127] = 12; // genre
  return b;
}

/** APEv2 tag: items, optional header, footer. One binary item carries false syncs. */
export function apeTag(opts: { header: boolean; binary?: Uint8Array }): Uint8Array {
  const item = (key: string, value: Uint8Array, flags: number): Uint8Array => {
    const h = new Uint8Array(8);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, value.length, true);
    dv.setUint32(4, flags, true);
    return concat(h, ascii(key), new Uint8Array([0]), value);
  };
  const items = [item('Title', ascii('APE title'), 0), item('Artist', ascii('Somebody'), 0)];
  if (opts.binary) items.push(item('Cover Art (Front)', concat(ascii('cover.jpg\0'), opts.binary), 1 << 1));
  const body = concat(...items);
  const block = (isHeader: boolean): Uint8Array => {
    const b = new Uint8Array(32);
    b.set(ascii('APETAGEX'));
    const dv = new DataView(b.buffer);
    dv.setUint32(8, 2000, true);
    dv.setUint32(12, body.length + 32, true);
    dv.setUint32(16, items.length, true);
    dv.setUint32(20, (opts.header ? 0x80000000 : 0) | (isHeader ? 0x20000000 : 0), true);
    return b;
  };
  return opts.header ? concat(block(true), body, block(false)) : concat(body, block(false));
}

/** Lyrics3 v1: "LYRICSBEGIN" lyrics "LYRICSEND". */
export function lyrics3v1(text = '[00:01]la la la\r\n[00:02]la'): Uint8Array {
  return ascii(`LYRICSBEGIN${text}LYRICSEND`);
}

/** Lyrics3 v2: "LYRICSBEGIN", fields (id + 5-digit size + data), 6-digit size, "LYRICS200". */
export function lyrics3v2(lyrics = '[00:01]hello\r\n[00:03]world'): Uint8Array {
  const field = (id: string, data: string): string => `${id}${String(data.length).padStart(5, '0')}${data}`;
  const body = `LYRICSBEGIN${field('IND', '11')}${field('LYR', lyrics)}${field('ETT', 'Song')}`;
  return ascii(`${body}${String(body.length).padStart(6, '0')}LYRICS200`);
}

/**
 * MPEG-1 Layer I stream built by hand (no encoder makes Layer I): silent frames (all allocations
 * zero) at 192 kbit/s, with the padding bit set the way the standard's slot accounting demands,
 * optionally CRC-protected (the CRC bytes are not checked by decoders unless asked).
 */
export function layer1Stream(frames: number, sampleRate = 44100, kbps = 192, crc = false): Uint8Array {
  const brIndex = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448].indexOf(kbps);
  const srIndex = [44100, 48000, 32000].indexOf(sampleRate);
  const parts: Uint8Array[] = [];
  let rem = 0;
  const perFrame = 12 * kbps * 1000;
  for (let i = 0; i < frames; i++) {
    rem += perFrame % sampleRate;
    let pad = 0;
    if (rem >= sampleRate) {
      rem -= sampleRate;
      pad = 1;
    }
    const len = (Math.floor(perFrame / sampleRate) + pad) * 4;
    const f = new Uint8Array(len);
    f[0] = 0xff;
    f[1] = 0xfe | (crc ? 0 : 1); // MPEG-1, Layer I, protection bit
    f[2] = (brIndex << 4) | (srIndex << 2) | (pad << 1);
    f[3] = 0x00; // stereo
    parts.push(f);
  }
  return concat(...parts);
}
