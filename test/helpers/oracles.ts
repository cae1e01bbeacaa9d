// Independent oracles: the npm-shipped ffmpeg/ffprobe binaries. Tests check our files with these,
// never with our own parser alone.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { accessSync, constants, chmodSync, readFileSync, statSync } from 'node:fs';
import { assertValidIsoBmff } from './iso-validate.js';

const require = createRequire(import.meta.url);

function binary(pkg: string): string {
  const path = (require(pkg) as { path: string }).path;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    // npm 11 skips the installers' postinstall chmod; the binaries are normally shipped executable.
    chmodSync(path, 0o755);
  }
  return path;
}

export const FFMPEG = binary('@ffmpeg-installer/ffmpeg');
export const FFPROBE = binary('@ffprobe-installer/ffprobe');

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a binary, optionally feeding stdin, and collects stdout (binary) and stderr (text). */
export function run(bin: string, args: string[], input?: Uint8Array): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    if (input) child.stdin.end(input);
    else child.stdin.end();
  });
}

// Every MP4 written by mp4forge that a test looks at through the oracles below (ffprobe, ffmpeg
// decode) is also put through the structural ISO-BMFF check (./iso-validate.ts), so no test can
// forget it. mp4forge's files are recognised by their hdlr names ('mp4forge video' / 'mp4forge
// audio'); files made by ffmpeg, MP3s and deliberately broken files given to `run` directly are
// left alone. Each file version (path, size, mtime) is checked once.
const OUR_HANDLERS = [Buffer.from('mp4forge video'), Buffer.from('mp4forge audio')];
const structureChecked = new Map<string, string>();
/** Files the structural check has passed (for tests of this hook). */
export const structureCheckCount = { files: 0 };

/** Throws (with the validator's report) when `file` is an MP4 written by mp4forge that is not structurally valid. */
export function checkMp4Structure(file: string): void {
  let key: string;
  try {
    const st = statSync(file);
    key = `${st.size}:${st.mtimeMs}`;
  } catch {
    return; // the oracle itself reports a missing file
  }
  if (structureChecked.get(file) === key) return;
  const bytes = readFileSync(file);
  if (bytes.length >= 8 && bytes.toString('latin1', 4, 8) === 'ftyp' && OUR_HANDLERS.some((m) => bytes.includes(m))) {
    assertValidIsoBmff(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    structureCheckCount.files++;
  }
  structureChecked.set(file, key);
}

export function ffmpegSync(args: string[]): void {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr?.toString()}`);
}

export interface ProbeStream {
  index: number;
  codec_name: string;
  /** 'video', 'audio', or another ffprobe codec type. */
  codec_type: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  color_range?: string;
  color_space?: string;
  color_primaries?: string;
  color_transfer?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  duration_ts?: number;
  bit_rate?: string;
  nb_frames?: string;
  nb_read_frames?: string;
  nb_read_packets?: string;
  start_time?: string;
  tags?: Record<string, string>;
}

export interface ProbeResult {
  streams: ProbeStream[];
  format: { format_name: string; duration?: string; size?: string; nb_streams: number; tags?: Record<string, string> };
}

/** ffprobe -show_streams -show_format as parsed JSON. `count` adds -count_frames -count_packets. */
export async function ffprobe(file: string, opts: { count?: boolean } = {}): Promise<ProbeResult> {
  checkMp4Structure(file);
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format'];
  if (opts.count) args.push('-count_frames', '-count_packets');
  const r = await run(FFPROBE, [...args, file]);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString()) as ProbeResult;
}

export interface ProbePacket {
  pts_time?: string;
  dts_time?: string;
  duration_time?: string;
  size: string;
  flags: string;
  /** Byte offset of the packet in the file. */
  pos?: string;
  stream_index: number;
}

/** Per-packet listing for one stream selector ('v:0', 'a:0'). */
export async function ffprobePackets(file: string, select = 'v:0'): Promise<ProbePacket[]> {
  checkMp4Structure(file);
  const r = await run(FFPROBE, [
    '-v', 'error', '-select_streams', select, '-show_packets', '-show_entries', 'packet=pts_time,dts_time,duration_time,size,flags,pos,stream_index', '-print_format',
    'json', file,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe packets failed on ${file}: ${r.stderr}`);
  return (JSON.parse(r.stdout.toString()) as { packets: ProbePacket[] }).packets;
}

/** Decodes the whole file with `-xerror` and reports anything ffmpeg printed at error level. */
export async function ffmpegDecodeCheck(file: string, extra: string[] = []): Promise<{ ok: boolean; stderr: string }> {
  checkMp4Structure(file);
  const r = await run(FFMPEG, ['-hide_banner', '-v', 'error', '-xerror', ...extra, '-i', file, '-f', 'null', '-']);
  return { ok: r.code === 0 && r.stderr.trim() === '', stderr: r.stderr };
}

/** Decodes video frames to packed RGB24 (full range, BT.601 matrix) and returns them split per frame. */
export async function decodeRgbFrames(file: string, width: number, height: number, extra: string[] = []): Promise<Uint8Array[]> {
  checkMp4Structure(file);
  const r = await run(FFMPEG, [
    '-hide_banner', '-v', 'error', '-i', file, ...extra,
    '-vf', 'scale=in_range=tv:out_range=pc:in_color_matrix=bt601:flags=accurate_rnd+full_chroma_int+bitexact',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
  ]);
  if (r.code !== 0) throw new Error(`ffmpeg decode failed on ${file}: ${r.stderr}`);
  const size = width * height * 3;
  const frames: Uint8Array[] = [];
  for (let o = 0; o + size <= r.stdout.length; o += size) frames.push(new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + o, size));
  return frames;
}

/** Decodes audio to mono/stereo float32 PCM at its own rate. */
export async function decodeAudioF32(file: string, extra: string[] = []): Promise<{ samples: Float32Array; channels: number }> {
  const probe = await ffprobe(file);
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  if (!a) throw new Error(`no audio stream in ${file}`);
  const channels = a.channels ?? 1;
  const r = await run(FFMPEG, ['-hide_banner', '-v', 'error', '-i', file, ...extra, '-map', '0:a:0', '-f', 'f32le', '-acodec', 'pcm_f32le', '-']);
  if (r.code !== 0) throw new Error(`ffmpeg audio decode failed on ${file}: ${r.stderr}`);
  const copy = new Uint8Array(r.stdout); // aligned copy for Float32Array
  return { samples: new Float32Array(copy.buffer, 0, copy.byteLength >> 2), channels };
}

/**
 * RGB PSNR in dB between a source frame (RGBA or RGB, `srcChannels`) and a decoded RGB24 frame.
 * Alpha is ignored. Identical frames give Infinity.
 */
export function rgbPsnr(src: Uint8Array, srcChannels: 3 | 4, decodedRgb: Uint8Array): number {
  const pixels = decodedRgb.length / 3;
  let se = 0;
  for (let p = 0, s = 0, d = 0; p < pixels; p++, s += srcChannels, d += 3) {
    const dr = src[s] - decodedRgb[d];
    const dg = src[s + 1] - decodedRgb[d + 1];
    const db = src[s + 2] - decodedRgb[d + 2];
    se += dr * dr + dg * dg + db * db;
  }
  const mse = se / (pixels * 3);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
