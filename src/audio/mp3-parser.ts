// Incremental MP3 (MPEG-1/2/2.5 audio, Layers I–III) frame parser.
//
// The parser is a small state machine over absolute input offsets. It hops from frame to frame by
// reading one 4-byte header per frame; it only walks byte by byte while resynchronising after
// junk. Between pushes it keeps at most a few KiB (the undecided tail), never the whole input, and
// every decision waits until enough bytes (or the end of input) are known, so the frames found do
// not depend on how the input was chunked.
//
// Acceptance rules (what keeps junk, tags and cover art from producing false frames):
//  - a frame is output only when what follows it is the next frame header of the same stream, a
//    tag, or the end of input. Otherwise it is held while the parser resynchronises: if the next
//    confirmed sync lies at or after its end the frame was complete and is output; if the sync lies
//    inside it, the frame was cut short and is dropped (counted in `truncatedBytes`);
//  - a sync found at a clean boundary (start of input, after a tag) needs the following header to
//    agree; a sync found by scanning junk needs the following two; a sync that would change the
//    sample rate, channel count, version or layer of an established stream also needs two, and
//    then raises MP3_STREAM_CHANGED;
//  - tags (ID3v2, ID3v1, APE, Lyrics3) are stepped over by their declared sizes.

import { Mp4ForgeError, type Mp4ForgeWarning } from '../errors.js';
import { gaplessWindow, MP3_DECODER_DELAY, type Mp3GaplessWindow } from './mp3-gapless.js';
import {
  FRAME_LENGTH_TABLE, STREAM_KEY_MASK, type Mp3ChannelMode, type MpegLayer, type MpegVersion, bitratesOf, decodeMp3Header, frameLengthOf,
  readHeaderWord, sameStream,
} from './mp3-header.js';
import { type Mp3InfoFrame, parseInfoFrame } from './mp3-info-frame.js';
import { SNIFF_BYTES, describeNonMp3, identifyContainer } from './mp3-sniff.js';
import {
  LYRICS3_V1_MAX, LYRICS3_V2_MAX, type Mp3TagInfo, NEED_MORE, NO_TAG, type TagProbe, findLyrics3End, probeApeItem, probeTag,
} from './mp3-tags.js';

export type { Mp3ChannelMode, MpegLayer, MpegVersion } from './mp3-header.js';
export type { Mp3InfoFrame, Mp3LameTag } from './mp3-info-frame.js';
export type { Mp3TagInfo, Mp3TagKind } from './mp3-tags.js';
export { describeMp3 } from './mp3-describe.js';

/** Stream parameters, fixed for the whole stream. */
export interface Mp3Format {
  mpegVersion: MpegVersion;
  layer: MpegLayer;
  sampleRate: number;
  channels: 1 | 2;
  /** 384 (Layer I), 1152 (Layer II; Layer III MPEG-1) or 576 (Layer III MPEG-2/2.5). */
  samplesPerFrame: number;
}

/** Where one audio frame lies in the input. */
export interface Mp3FrameInfo {
  /** Byte offset of the frame header in the input. */
  offset: number;
  /** Frame length in bytes (header, CRC and payload). */
  size: number;
  /** Decoded samples per channel (= samplesPerFrame). */
  samples: number;
}

/**
 * One audio frame with its bytes. `data` is a view into the chunk passed to `push()` when the
 * frame lies inside that chunk (no copy), otherwise a view into a fresh internal buffer. Views of
 * pushed chunks stay valid only while callers leave those chunks unmodified: do not reuse or
 * mutate a chunk after pushing it if you keep its frames.
 */
export interface Mp3Frame extends Mp3FrameInfo {
  data: Uint8Array;
}

/** Gapless numbers from the LAME tag, in samples per channel. */
export interface Mp3Gapless {
  /** Samples the encoder inserted at the start (decoders add their own 529 on top). */
  encoderDelay: number;
  /** Samples of padding at the end of the last frame. */
  padding: number;
}

/** Byte accounting; every input byte lands in exactly one of frames/info frame/tags/junk/truncated. */
export interface Mp3ParserStats {
  /** Audio frames output (the Xing/Info/VBRI header frame excluded). */
  frames: number;
  /** frames × samplesPerFrame. */
  totalSamples: number;
  /** Bytes in audio frames. */
  bytes: number;
  /** Bytes in recognised tags (ID3v2, ID3v1, APE, Lyrics3). */
  skippedTagBytes: number;
  /** Bytes that are neither frames nor tags (garbage, partial bytes at the end). */
  junkBytes: number;
  /** Bytes of frames cut short (by the end of input or by the next frame) and dropped. */
  truncatedBytes: number;
  /** Number of frames dropped because they were cut short. */
  droppedFrames: number;
  /** Total bytes pushed so far. */
  inputBytes: number;
}

const EMPTY = new Uint8Array(0);
// Bytes of a new chunk joined to the kept tail; more than the parser ever needs to decide anything
// (two frames of look-ahead plus a tag probe, < 6.1 KiB; a free-format probe, < 5.8 KiB).
const JOIN_BYTES = 16384;
// Free-format frames are confirmed by two more headers at a steady spacing no larger than the
// longest free-format frame (640 kbit/s Layer III at 32 kHz: 2880 bytes).
const FREE_FORMAT_WINDOW = 2890;

const BOUNDARY = 0; // at a frame/tag boundary
const SKIP = 1; // stepping over a tag of known size
const LYRICS = 2; // inside a Lyrics3 tag, looking for its end
const RESYNC = 3; // scanning junk for a confirmed sync or a tag
const DONE = 4; // end of input processed
const APE_ITEMS = 5; // walking the items of an APE tag written without a header, up to its footer

const YES = 1;
const NO = 0;
const NEED = -1;

interface HeldFrame {
  offset: number;
  size: number;
  word: number;
  /** Null when the frame runs past the end of input. */
  data: Uint8Array | null;
}

function copyOf(buf: Uint8Array, from: number): Uint8Array {
  return from >= buf.length ? EMPTY : buf.slice(from);
}

function versionName(word: number): string {
  const h = decodeMp3Header(word);
  if (!h) return 'invalid header';
  return `MPEG-${h.mpegVersion} Layer ${'I'.repeat(h.layer)}, ${h.sampleRate} Hz, ${h.channels === 1 ? 'mono' : 'two channels'}`;
}

/**
 * Incremental MP3 frame parser: push chunks of any size, get the frames each chunk completes.
 *
 * @example
 * const parser = new Mp3FrameParser();
 * for await (const chunk of stream) for (const f of parser.push(chunk)) mux.addAudio(f.data);
 * for (const f of parser.end()) mux.addAudio(f.data);
 * console.log(parser.format, parser.gapless);
 */
export class Mp3FrameParser {
  private received = 0;
  /** Absolute offset of the next byte the state machine will look at. */
  private pos = 0;
  /** Copy of input bytes [pos, received) carried to the next push. */
  private tail: Uint8Array = EMPTY;
  private mode = BOUNDARY;
  private skipLeft = 0;
  private afterSkip = BOUNDARY;
  private skippingTag: Mp3TagInfo | null = null;
  private apeStart = 0;
  private lyricsStart = 0;
  private lyricsScan = 0;
  private junkStart = -1;
  private held: HeldFrame | null = null;

  private established = false;
  private refWord = 0;
  private spf = 0;
  private _format: Mp3Format | null = null;
  private _channelMode: Mp3ChannelMode | null = null;
  private firstFrameSeen = false;
  private _info: Mp3InfoFrame | null = null;
  private _gapless: Mp3Gapless | null = null;
  private readonly _tags: Mp3TagInfo[] = [];
  private bitrateMask = 0;
  private freeFormatHeaders = 0;

  private frameCount = 0;
  private audioBytes = 0;
  private tagBytes = 0;
  private junkBytes = 0;
  private truncatedBytes = 0;
  private droppedFrames = 0;

  private readonly head = new Uint8Array(SNIFF_BYTES);
  private headLen = 0;
  private sniffed = false;
  private ended = false;
  private failure: Mp4ForgeError | null = null;

  /** Stream parameters; null until the first frame is accepted. */
  get format(): Mp3Format | null {
    return this._format;
  }

  /** Channel mode of the first frame (joint stereo and stereo may alternate within a stream). */
  get channelMode(): Mp3ChannelMode | null {
    return this._channelMode;
  }

  /** Encoder delay and padding from the LAME tag; null when there is none (or before the first frame). */
  get gapless(): Mp3Gapless | null {
    return this._gapless;
  }

  /** The Xing/Info/VBRI header frame, if the stream starts with one. It is not in the frame list. */
  get infoFrame(): Mp3InfoFrame | null {
    return this._info;
  }

  /** Tags stepped over so far, in input order. */
  get tags(): readonly Mp3TagInfo[] {
    return this._tags;
  }

  /** Bitrates (kbit/s) of the audio frames seen so far, ascending. */
  get bitratesSeen(): number[] {
    if (!this._format) return [];
    const table = bitratesOf(this._format.mpegVersion, this._format.layer);
    const out: number[] = [];
    for (let i = 1; i < 15; i++) if (this.bitrateMask & (1 << i)) out.push(table[i]);
    return out.sort((a, b) => a - b);
  }

  /** Bytes held between pushes (the undecided tail); stays a few KiB whatever the input size. */
  get bufferedBytes(): number {
    return this.tail.length + (this.held?.data?.length ?? 0);
  }

  /**
   * Samples a decoder gives back once the LAME tag's encoder delay and padding are cut (all of
   * them without a tag). When the frames found disagree with the count the Xing/Info header
   * declares (a cut or joined file), the padding is not applied: only the 529-sample decoder delay
   * comes off the end, and `warnings` says so. Final after `end()`; until then the padding applies.
   */
  get playableSamples(): number {
    return this.window().playableSamples;
  }

  /** Problems found in the input that did not stop the parse; known after `end()`. */
  get warnings(): Mp4ForgeWarning[] {
    const w = this.ended && !this.failure ? this.window().warning : null;
    return w ? [w] : [];
  }

  private window(): Mp3GaplessWindow {
    // Before the end the frame count is still growing, so it cannot be compared with the header's.
    const info = this.ended ? this._info : this._info && { ...this._info, frames: null };
    return gaplessWindow(info, this._gapless, this.frameCount, this.spf);
  }

  /** Running counters. */
  get stats(): Mp3ParserStats {
    return {
      frames: this.frameCount,
      totalSamples: this.frameCount * this.spf,
      bytes: this.audioBytes,
      skippedTagBytes: this.tagBytes,
      junkBytes: this.junkBytes,
      truncatedBytes: this.truncatedBytes,
      droppedFrames: this.droppedFrames,
      inputBytes: this.received,
    };
  }

  /**
   * Feeds the next chunk of input and returns the audio frames it completed, in order.
   * Throws Mp4ForgeError: INVALID_MP3 (the input is a known non-MP3 format), MP3_STREAM_CHANGED,
   * UNSUPPORTED_MP3 (free-format bitrate). After a throw the parser stays failed.
   */
  push(chunk: Uint8Array): Mp3Frame[] {
    this.checkUsable('push');
    if (!(chunk instanceof Uint8Array)) {
      throw new Mp4ForgeError('INVALID_OPTION', `Mp3FrameParser.push() expects a Uint8Array chunk, got ${chunk === null ? 'null' : typeof chunk}.`);
    }
    const out: Mp3Frame[] = [];
    if (chunk.length === 0) return out;
    try {
      this.sniff(chunk, false);
      const chunkBase = this.received;
      this.received += chunk.length;
      let off = 0;
      // Finish what the kept tail started using a small joined buffer, then run on the chunk itself
      // so frames inside it are views, not copies.
      while (this.tail.length > 0) {
        const take = Math.min(chunk.length - off, JOIN_BYTES);
        const joint = new Uint8Array(this.tail.length + take);
        joint.set(this.tail);
        joint.set(chunk.subarray(off, off + take), this.tail.length);
        const jointBase = this.pos;
        off += take;
        this.process(joint, jointBase, false, out);
        if (off === chunk.length || this.pos >= chunkBase) {
          this.tail = off === chunk.length ? copyOf(joint, this.pos - jointBase) : EMPTY;
          if (off === chunk.length) return out;
          break;
        }
        this.tail = copyOf(joint, this.pos - jointBase);
      }
      this.process(chunk, chunkBase, false, out);
      this.tail = copyOf(chunk, this.pos - chunkBase);
      return out;
    } catch (e) {
      throw this.fail(e);
    }
  }

  /**
   * Signals the end of input and returns the last frames. A final frame is accepted without a
   * following header when it is complete; a cut-off last frame is dropped (see `stats`).
   * Throws INVALID_MP3 when no audio frame was found at all (the message says what the input looks
   * like when it can tell) or when the frames hold nothing but the gapless delay and padding,
   * UNSUPPORTED_MP3 for free-format streams.
   */
  end(): Mp3Frame[] {
    this.checkUsable('end');
    this.ended = true;
    const out: Mp3Frame[] = [];
    try {
      this.sniff(EMPTY, true);
      this.process(this.tail, this.pos, true, out);
      this.tail = EMPTY;
      if (this.frameCount === 0) throw this.noAudioError();
      if (this.playableSamples === 0) throw this.onlyDelayError();
      return out;
    } catch (e) {
      throw this.fail(e);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private checkUsable(what: string): void {
    if (this.failure) throw this.failure;
    if (this.ended) {
      throw new Mp4ForgeError('WRITER_CLOSED', `Mp3FrameParser.${what}() called after end(); create a new parser for another stream.`);
    }
  }

  private fail(e: unknown): unknown {
    if (e instanceof Mp4ForgeError) this.failure = e;
    this.tail = EMPTY;
    this.held = null;
    return e;
  }

  /** Fails fast on inputs that start like a known non-MP3 container (PNG, WAV, MP4, ...). */
  private sniff(chunk: Uint8Array, final: boolean): void {
    if (this.sniffed) return;
    const n = Math.min(chunk.length, SNIFF_BYTES - this.headLen);
    this.head.set(chunk.subarray(0, n), this.headLen);
    this.headLen += n;
    if (this.headLen < SNIFF_BYTES && !final) return;
    this.sniffed = true;
    const what = identifyContainer(this.head.subarray(0, this.headLen));
    if (what) {
      throw new Mp4ForgeError(
        'INVALID_MP3',
        `The input is not an MP3 stream: it looks like ${what}. Expected MPEG audio (MPEG-1/2/2.5 Layer I/II/III), optionally with ID3/APE tags.`,
        {
          details: { detected: what },
        },
      );
    }
  }

  private noAudioError(): Mp4ForgeError {
    const total = this.received;
    if (this.freeFormatHeaders >= 2) {
      return new Mp4ForgeError(
        'UNSUPPORTED_MP3',
        `The input contains only free-format MPEG audio frames (bitrate index 0), which mp4forge does not support. Re-encode the audio at a standard bitrate (e.g. 128 or 192 kbit/s).`,
      );
    }
    const what = describeNonMp3(this.head.subarray(0, this.headLen), total);
    if (total === 0) return new Mp4ForgeError('INVALID_MP3', 'The MP3 input is empty (0 bytes); expected MPEG audio frames.');
    const cut = this._tags.find((t) => t.truncated);
    let why: string;
    if (this._info) why = `only a ${this._info.kind === 'vbri' ? 'VBRI' : 'Xing/Info'} header frame and no audio frames`;
    else if (cut) why = `the ${cut.kind} tag at offset ${cut.offset} claims to run past the end of the input, and no audio frame was found outside it`;
    else if (what) why = `no MPEG audio frames; it looks like ${what}`;
    else why = 'no MPEG audio frames (no valid frame header followed by a matching one)';
    return new Mp4ForgeError('INVALID_MP3', `Not an MP3 stream: ${total} bytes with ${why}. Expected MPEG-1/2/2.5 Layer I/II/III audio frames.`, {
      details: { inputBytes: total, detected: what ?? undefined },
    });
  }

  /** Whole frames, but every sample is encoder/decoder delay or padding: there is nothing to play. */
  private onlyDelayError(): Mp4ForgeError {
    const g = this._gapless as Mp3Gapless;
    const n = this.frameCount;
    const total = n * this.spf;
    const cuts = this.window().paddingApplied
      ? `the encoder delay (${g.encoderDelay} samples) and end padding (${g.padding}) of its LAME tag`
      : `the encoder delay (${g.encoderDelay} samples) of its LAME tag and the decoder delay (${MP3_DECODER_DELAY})`;
    return new Mp4ForgeError(
      'INVALID_MP3',
      `The MP3 has no audio to play: its ${n} audio frame${n === 1 ? '' : 's'} (${total} samples) hold${n === 1 ? 's' : ''} nothing but ${cuts}. ` +
        'Expected at least one sample of sound after the delay; the file is probably cut short.',
      { details: { frames: n, totalSamples: total, encoderDelay: g.encoderDelay, padding: g.padding } },
    );
  }

  private process(buf: Uint8Array, base: number, final: boolean, out: Mp3Frame[]): void {
    const n = buf.length;
    for (;;) {
      const p = this.pos - base;
      let more: boolean;
      switch (this.mode) {
        case BOUNDARY:
          more = this.boundary(buf, p, n, base, final, out);
          break;
        case SKIP:
          more = this.skip(p, n, base, final);
          break;
        case LYRICS:
          more = this.lyrics(buf, p, n, base, final);
          break;
        case RESYNC:
          more = this.resync(buf, p, n, base, final, out);
          break;
        case APE_ITEMS:
          more = this.apeItems(buf, p, n, base, final);
          break;
        default:
          return;
      }
      if (!more) return;
    }
  }

  // --- boundary: a frame or a tag should start here ---------------------------------------------

  private boundary(buf: Uint8Array, p: number, n: number, base: number, final: boolean, out: Mp3Frame[]): boolean {
    if (p >= n) {
      if (final) this.mode = DONE;
      return false;
    }
    if (this.established && p + 4 <= n) {
      const w = readHeaderWord(buf, p);
      if (sameStream(w, this.refWord) && frameLengthOf(w) > 0) {
        return this.frameEnd(buf, this.hop(buf, p, n, base, out), n, base, final, out);
      }
    }
    const t = probeTag(buf, p, n, final, false);
    if (t === NEED_MORE) return false;
    if (t !== NO_TAG) {
      this.startTag(t, base + p);
      return true;
    }
    if (p + 4 > n) {
      if (!final) return false;
      this.junkBytes += n - p;
      this.pos = base + n;
      this.mode = DONE;
      return false;
    }
    const w = readHeaderWord(buf, p);
    const len = frameLengthOf(w);
    if (len > 0) {
      // At a clean boundary one agreeing successor is enough; a change of stream needs two.
      const c = this.confirm(buf, p, n, final, w, this.established ? 2 : 1);
      if (c === NEED) return false;
      if (c === YES) {
        if (this.established) throw this.changed(w, base + p);
        this.establish(w);
        return true;
      }
    } else if (len < 0 && !this.established) {
      const c = this.freeFormatAt(buf, p, n, final, w);
      if (c === NEED) return false;
      if (c === YES) {
        throw new Mp4ForgeError(
          'UNSUPPORTED_MP3',
          `Free-format MPEG audio (bitrate index 0) at byte ${base + p} is not supported: frame sizes cannot be derived from the header. Re-encode the audio at a standard bitrate (e.g. 128 or 192 kbit/s).`,
          {
            details: { offset: base + p },
          },
        );
      }
    }
    this.junkStart = base + p;
    this.mode = RESYNC;
    this.pos = base + p + 1;
    return true;
  }

  /**
   * Hot loop: from a frame at p whose header belongs to the stream, outputs frames while the next
   * header (at p + length) also belongs to it. Returns the offset of the first frame it could not
   * confirm that way.
   */
  private hop(buf: Uint8Array, p: number, n: number, base: number, out: Mp3Frame[]): number {
    const LEN = FRAME_LENGTH_TABLE;
    const key = this.refWord & STREAM_KEY_MASK;
    const mono = (this.refWord & 0xc0) === 0xc0;
    const spf = this.spf;
    let w = readHeaderWord(buf, p);
    let len = LEN[(((w >>> 17) & 0xf) << 7) | ((w >>> 9) & 0x7f)];
    // The first frame may be the Xing/Info frame, which emit() does not count as audio: go on until
    // the first audio frame has gone through emit() too, so channelMode is the first frame's (as
    // documented) and does not depend on where the input was cut into chunks.
    while (!this.firstFrameSeen || this._channelMode === null) {
      const next = p + len;
      if (next + 4 > n) return p;
      const w2 = readHeaderWord(buf, next);
      const len2 = frameLengthOf(w2);
      if (!sameStream(w2, this.refWord) || len2 <= 0) return p;
      this.emit(base + p, len, w, buf.subarray(p, next), out);
      p = next;
      w = w2;
      len = len2;
    }
    let count = 0;
    let bytes = 0;
    let mask = 0;
    for (;;) {
      const next = p + len;
      if (next + 4 > n) break;
      const w2 = (buf[next] << 24) | (buf[next + 1] << 16) | (buf[next + 2] << 8) | buf[next + 3];
      if ((w2 & STREAM_KEY_MASK) !== key || ((w2 & 0xc0) === 0xc0) !== mono) break;
      const len2 = LEN[(((w2 >>> 17) & 0xf) << 7) | ((w2 >>> 9) & 0x7f)];
      if (len2 <= 0) break;
      out.push({ offset: base + p, size: len, samples: spf, data: buf.subarray(p, next) });
      count++;
      bytes += len;
      mask |= 1 << ((w >>> 12) & 0xf);
      p = next;
      w = w2;
      len = len2;
    }
    this.frameCount += count;
    this.audioBytes += bytes;
    this.bitrateMask |= mask;
    return p;
  }

  /** Decides the frame at p (of the stream) whose successor is not a plain next header in `buf`. */
  private frameEnd(buf: Uint8Array, p: number, n: number, base: number, final: boolean, out: Mp3Frame[]): boolean {
    this.pos = base + p;
    const w = readHeaderWord(buf, p);
    const len = frameLengthOf(w);
    const next = p + len;
    if (next > n) {
      if (!final) return false;
      // Cut off by the end of input; a resync over its bytes may still find a tag (e.g. ID3v1).
      this.hold({ offset: base + p, size: len, word: w, data: null }, base + p);
      return true;
    }
    if (next + 4 <= n) {
      const w2 = readHeaderWord(buf, next);
      if (sameStream(w2, this.refWord) && frameLengthOf(w2) > 0) {
        this.emit(base + p, len, w, buf.subarray(p, next), out);
        this.pos = base + next;
        return true;
      }
    }
    if (next === n && final) {
      this.emit(base + p, len, w, buf.subarray(p, next), out);
      this.pos = base + next;
      return true;
    }
    const t = probeTag(buf, next, n, final, false);
    if (t === NEED_MORE) return false;
    if (t !== NO_TAG) {
      this.emit(base + p, len, w, buf.subarray(p, next), out);
      this.pos = base + next;
      return true;
    }
    // An APE tag without a header starts with its items; walk them to the footer rather than
    // scanning them (binary items such as cover art can hold anything).
    const item = probeApeItem(buf, next, n, final);
    if (item < 0) return false;
    if (item > 0) {
      this.emit(base + p, len, w, buf.subarray(p, next), out);
      this.pos = base + next;
      this.apeStart = base + next;
      this.mode = APE_ITEMS;
      return true;
    }
    if (next + 4 > n && !final) return false;
    // Something else follows: keep the frame until a resync shows whether it was complete.
    this.hold({ offset: base + p, size: len, word: w, data: buf.subarray(p, next) }, base + p);
    return true;
  }

  private hold(frame: HeldFrame, at: number): void {
    this.held = frame;
    this.junkStart = at;
    this.mode = RESYNC;
    this.pos = at + 1;
  }

  /**
   * Does the chain of `depth` frames after the candidate at q agree with it? A chain that runs
   * exactly into the end of input or into a tag also counts.
   */
  private confirm(buf: Uint8Array, q: number, n: number, final: boolean, w: number, depth: number): number {
    let r = q;
    let cur = w;
    for (let k = 0; k < depth; k++) {
      r += frameLengthOf(cur);
      if (r + 4 <= n) {
        const w2 = readHeaderWord(buf, r);
        if (sameStream(w2, w) && frameLengthOf(w2) > 0) {
          cur = w2;
          continue;
        }
      } else if (r >= n) {
        if (!final) return NEED;
        return r === n ? YES : NO;
      }
      const t = probeTag(buf, r, n, final, false);
      if (t === NEED_MORE) return NEED;
      if (t !== NO_TAG) return YES;
      if (r + 4 > n && !final) return NEED;
      return NO;
    }
    return YES;
  }

  /**
   * A free-format header is taken as real when two more of the same stream follow at a steady
   * spacing (free-format frames all have one size, ± the padding slot).
   */
  private freeFormatAt(buf: Uint8Array, p: number, n: number, final: boolean, w: number): number {
    if (p + 2 * FREE_FORMAT_WINDOW + 8 > n && !final) return NEED;
    const isFree = (q: number): boolean =>
      q >= 0 && q + 4 <= n && buf[q] === 0xff && sameStream(readHeaderWord(buf, q), w) && frameLengthOf(readHeaderWord(buf, q)) < 0;
    const slot = ((w >>> 17) & 3) === 3 ? 4 : 1;
    const end = Math.min(n - 4, p + FREE_FORMAT_WINDOW);
    for (let q = buf.indexOf(0xff, p + 21); q >= 0 && q <= end; q = buf.indexOf(0xff, q + 1)) {
      if (!isFree(q)) continue;
      const d = q - p;
      if (isFree(q + d) || isFree(q + d - slot) || isFree(q + d + slot)) return YES;
    }
    return NO;
  }

  private establish(w: number): void {
    const h = decodeMp3Header(w)!;
    this.established = true;
    this.refWord = w;
    this.spf = h.samplesPerFrame;
    this._format = { mpegVersion: h.mpegVersion, layer: h.layer, sampleRate: h.sampleRate, channels: h.channels, samplesPerFrame: h.samplesPerFrame };
  }

  private changed(w: number, offset: number): Mp4ForgeError {
    const a = decodeMp3Header(this.refWord)!;
    const b = decodeMp3Header(w)!;
    const what: string[] = [];
    if (a.sampleRate !== b.sampleRate) what.push(`sample rate ${a.sampleRate} Hz → ${b.sampleRate} Hz`);
    if (a.channels !== b.channels) what.push(`channels ${a.channels} → ${b.channels}`);
    if (a.mpegVersion !== b.mpegVersion) what.push(`MPEG-${a.mpegVersion} → MPEG-${b.mpegVersion}`);
    if (a.layer !== b.layer) what.push(`Layer ${a.layer} → ${b.layer}`);
    return new Mp4ForgeError(
      'MP3_STREAM_CHANGED',
      `The MP3 stream changes at byte ${offset} (${what.join(', ')}): from ${versionName(this.refWord)} to ${versionName(w)}. ` +
        'Expected one sample rate, channel count and MPEG version/layer throughout; split or re-encode the file.',
      { details: { offset, from: this._format, to: { mpegVersion: b.mpegVersion, layer: b.layer, sampleRate: b.sampleRate, channels: b.channels } } },
    );
  }

  private emit(offset: number, size: number, w: number, data: Uint8Array, out: Mp3Frame[]): void {
    if (!this.firstFrameSeen) {
      this.firstFrameSeen = true;
      const h = decodeMp3Header(w)!;
      const info = parseInfoFrame(data, h, offset);
      if (info) {
        this._info = info;
        this._gapless = info.lame ? { encoderDelay: info.lame.encoderDelay, padding: info.lame.padding } : null;
        return;
      }
    }
    if (this._channelMode === null) this._channelMode = decodeMp3Header(w)!.channelMode;
    out.push({ offset, size, samples: this.spf, data });
    this.frameCount++;
    this.audioBytes += size;
    this.bitrateMask |= 1 << ((w >>> 12) & 0xf);
  }

  // --- tags ---------------------------------------------------------------------------------------

  private startTag(t: TagProbe, at: number): void {
    this.pos = at;
    if (t.kind === 'lyrics3') {
      this.mode = LYRICS;
      this.lyricsStart = at;
      this.lyricsScan = at + 11;
      return;
    }
    const info: Mp3TagInfo = { kind: t.kind, offset: at, size: t.size };
    if ('version' in t && t.version) info.version = t.version;
    this.recordTag(info, t.size);
  }

  private recordTag(info: Mp3TagInfo, skip: number): void {
    this._tags.push(info);
    this.tagBytes += info.size;
    this.skippingTag = info;
    this.skipLeft = skip;
    this.afterSkip = BOUNDARY;
    this.mode = SKIP;
  }

  private apeItems(buf: Uint8Array, p: number, n: number, base: number, final: boolean): boolean {
    const t = probeTag(buf, p, n, final, false);
    if (t === NEED_MORE) return false;
    if (t !== NO_TAG) {
      if ((t.kind === 'apev2' || t.kind === 'apev1') && t.footer && base + p + 32 - t.tagSize === this.apeStart) {
        this.recordTag({ kind: t.kind, offset: this.apeStart, size: base + p + 32 - this.apeStart, version: t.version }, 32);
        return true;
      }
    } else {
      const item = probeApeItem(buf, p, n, final);
      if (item < 0) return false;
      if (item > 0) {
        this.skipLeft = item;
        this.skippingTag = null;
        this.afterSkip = APE_ITEMS;
        this.mode = SKIP;
        return true;
      }
    }
    // The items did not end in a matching footer: not an APE tag after all. Its bytes are junk.
    this.junkStart = this.apeStart;
    this.mode = RESYNC;
    return true;
  }

  private skip(p: number, n: number, base: number, final: boolean): boolean {
    const avail = n - p;
    if (this.skipLeft <= avail) {
      this.pos = base + p + this.skipLeft;
      this.skipLeft = 0;
      this.mode = this.afterSkip;
      return true;
    }
    this.skipLeft -= avail;
    this.pos = base + n;
    if (final) {
      const t = this.skippingTag;
      if (this.afterSkip === APE_ITEMS || !t) {
        // Cut inside what looked like APE items: no footer, so not a tag.
        this.junkBytes += base + n - this.apeStart;
      } else {
        t.size -= this.skipLeft;
        t.truncated = true;
        this.tagBytes -= this.skipLeft;
      }
      this.skipLeft = 0;
      this.mode = DONE;
    }
    return false;
  }

  private lyrics(buf: Uint8Array, p: number, n: number, base: number, final: boolean): boolean {
    const from = Math.max(this.lyricsScan - base, p);
    const found = findLyrics3End(buf, from, n, base, this.lyricsStart);
    if (found) {
      const info: Mp3TagInfo = { kind: found.kind, offset: this.lyricsStart, size: found.end - this.lyricsStart };
      this.recordTag(info, found.end - (base + p));
      return true;
    }
    // Every end signature starting before n - 8 has been checked; keep 6 bytes before the next
    // candidate for a v2 size field.
    this.lyricsScan = base + Math.max(from, n - 8);
    const keep = Math.max(p, this.lyricsScan - base - 6);
    if (final || this.lyricsScan - this.lyricsStart > LYRICS3_V2_MAX + LYRICS3_V1_MAX) {
      // No end marker: not a Lyrics3 tag after all; treat its bytes as junk and resume scanning.
      this.junkStart = this.lyricsStart;
      this.mode = RESYNC;
      this.pos = base + keep;
      return true;
    }
    this.pos = base + keep;
    return false;
  }

  // --- resync -------------------------------------------------------------------------------------

  private readonly isStreamHeaderAt = (buf: Uint8Array, p: number): boolean => {
    const w = readHeaderWord(buf, p);
    return frameLengthOf(w) > 0 && (!this.established || sameStream(w, this.refWord));
  };

  private resync(buf: Uint8Array, p: number, n: number, base: number, final: boolean, out: Mp3Frame[]): boolean {
    for (; p < n; p++) {
      const b = buf[p];
      if (b === 0xff) {
        if (p + 4 > n) {
          if (!final) {
            this.pos = base + p;
            return false;
          }
          continue;
        }
        const w = readHeaderWord(buf, p);
        const len = frameLengthOf(w);
        if (len > 0) {
          const compatible = this.established && sameStream(w, this.refWord);
          const c = this.confirm(buf, p, n, final, w, compatible ? 1 : 2);
          if (c === NEED) {
            this.pos = base + p;
            return false;
          }
          if (c === YES) {
            if (this.established && !compatible) throw this.changed(w, base + p);
            this.endJunk(base + p, out);
            if (!this.established) this.establish(w);
            this.mode = BOUNDARY;
            this.pos = base + p;
            return true;
          }
        } else if (len < 0 && this.frameCount === 0 && this.freeFormatHeaders < 2) {
          // The count only feeds the "free format only" error, raised when no frame was output; once
          // it reaches 2 or a frame is out, further (costly, window-wide) checks cannot change it.
          const c = this.freeFormatAt(buf, p, n, final, w);
          if (c === NEED) {
            this.pos = base + p;
            return false;
          }
          if (c === YES) this.freeFormatHeaders++;
        }
      } else if (b === 0x49 || b === 0x41 || b === 0x4c || b === 0x54) {
        const t = probeTag(buf, p, n, final, true, this.isStreamHeaderAt);
        if (t === NEED_MORE) {
          this.pos = base + p;
          return false;
        }
        if (t !== NO_TAG) {
          if ((t.kind === 'apev1' || t.kind === 'apev2') && t.footer) {
            // A footer found while scanning: the tag's items were the "junk" just scanned.
            const end = base + p + 32;
            const start = Math.max(end - t.tagSize, this.junkStart);
            this.endJunk(start, out);
            this.pos = base + p;
            this.recordTag({ kind: t.kind, offset: start, size: end - start, version: t.version }, 32);
          } else {
            this.endJunk(base + p, out);
            this.startTag(t, base + p);
          }
          return true;
        }
      }
    }
    this.pos = base + n;
    if (final) {
      this.endJunk(base + n, out);
      this.mode = DONE;
    }
    return false;
  }

  /** Closes the junk region at `at`, deciding a held frame: complete if `at` is past its end. */
  private endJunk(at: number, out: Mp3Frame[]): void {
    const h = this.held;
    if (h) {
      this.held = null;
      const end = h.offset + h.size;
      if (h.data && at >= end) {
        this.emit(h.offset, h.size, h.word, h.data, out);
        this.junkBytes += at - end;
      } else {
        this.truncatedBytes += at - h.offset;
        this.droppedFrames++;
      }
    } else {
      this.junkBytes += at - this.junkStart;
    }
    this.junkStart = -1;
  }
}

// ---------------------------------------------------------------------------------------------------

/** Bitrate summary. */
export interface Mp3BitrateInfo {
  /** 'cbr' when every audio frame has the same bitrate, else 'vbr'. */
  mode: 'cbr' | 'vbr';
  /** Audio bytes × 8 / duration, in kbit/s. */
  averageKbps: number;
  minKbps: number;
  maxKbps: number;
}

/** Everything `parseMp3` / `parseMp3Stream` found. */
export interface Mp3ParseResult<F extends Mp3FrameInfo = Mp3FrameInfo> {
  format: Mp3Format;
  /** Channel mode of the first audio frame. */
  channelMode: Mp3ChannelMode;
  /** Audio frames in order (the Xing/Info/VBRI header frame excluded). */
  frames: F[];
  /** frames.length × samplesPerFrame. */
  totalSamples: number;
  /**
   * totalSamples − encoderDelay − padding when gapless info is known, else totalSamples. When the
   * frame count disagrees with the Xing/Info header's, the padding is not applied (see `warnings`):
   * totalSamples − encoderDelay − 529.
   */
  playableSamples: number;
  /** totalSamples / sampleRate. */
  durationSeconds: number;
  /** playableSamples / sampleRate. */
  playableDurationSeconds: number;
  gapless: Mp3Gapless | null;
  infoFrame: Mp3InfoFrame | null;
  bitrate: Mp3BitrateInfo;
  tags: Mp3TagInfo[];
  stats: Mp3ParserStats;
  /** What did not stop the parse but changes the result, e.g. MP3_FRAME_COUNT_MISMATCH (a cut file). */
  warnings: Mp4ForgeWarning[];
}

function resultOf<F extends Mp3FrameInfo>(parser: Mp3FrameParser, frames: F[]): Mp3ParseResult<F> {
  const format = parser.format!;
  const stats = parser.stats;
  const totalSamples = stats.totalSamples;
  const g = parser.gapless;
  const playableSamples = parser.playableSamples;
  const durationSeconds = totalSamples / format.sampleRate;
  const rates = parser.bitratesSeen;
  return {
    format,
    channelMode: parser.channelMode!,
    frames,
    totalSamples,
    playableSamples,
    durationSeconds,
    playableDurationSeconds: playableSamples / format.sampleRate,
    gapless: g,
    infoFrame: parser.infoFrame,
    bitrate: {
      mode: rates.length > 1 ? 'vbr' : 'cbr',
      averageKbps: durationSeconds > 0 ? (stats.bytes * 8) / durationSeconds / 1000 : 0,
      minKbps: rates[0] ?? 0,
      maxKbps: rates[rates.length - 1] ?? 0,
    },
    tags: [...parser.tags],
    stats,
    warnings: parser.warnings,
  };
}

/**
 * Parses a whole MP3 held in memory. Frame `data` are views into `bytes` (no copies).
 * @throws Mp4ForgeError INVALID_MP3 | UNSUPPORTED_MP3 | MP3_STREAM_CHANGED
 */
export function parseMp3(bytes: Uint8Array): Mp3ParseResult<Mp3Frame> {
  const parser = new Mp3FrameParser();
  const frames = parser.push(bytes);
  for (const f of parser.end()) frames.push(f);
  return resultOf(parser, frames);
}

/**
 * Parses an MP3 from chunks (a Node stream, a fetch body reader wrapped as an async iterable, an
 * array of buffers). Keeps only frame positions, not their bytes, so memory stays small.
 * @throws Mp4ForgeError INVALID_MP3 | UNSUPPORTED_MP3 | MP3_STREAM_CHANGED
 */
export async function parseMp3Stream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Mp3ParseResult<Mp3FrameInfo>> {
  const parser = new Mp3FrameParser();
  const frames: Mp3FrameInfo[] = [];
  const keep = (list: Mp3Frame[]): void => {
    for (const f of list) frames.push({ offset: f.offset, size: f.size, samples: f.samples });
  };
  for await (const chunk of chunks) keep(parser.push(chunk));
  keep(parser.end());
  return resultOf(parser, frames);
}
