// The gapless window of an MP3: the samples a decoder gives back once the encoder delay, the
// decoder delay and the end padding are cut. The LAME tag's numbers describe the file as its
// encoder wrote it; a file cut short (or joined to another) keeps the tag but not that ending, and
// its frame count then disagrees with the one the Xing/Info header declares.
import type { Mp4ForgeWarning } from '../errors.js';
import type { Mp3InfoFrame } from './mp3-info-frame.js';

/** Standard MP3 decoder delay in samples (528 filterbank + 1), skipped on top of the encoder delay. */
export const MP3_DECODER_DELAY = 529;

export interface Mp3GaplessWindow {
  /** Samples a decoder gives back after the cuts (every frame's samples without a LAME tag). */
  playableSamples: number;
  /** False when the LAME padding was not applied because the frame counts disagree. */
  paddingApplied: boolean;
  warning: Mp4ForgeWarning | null;
}

/**
 * The window of `frames` audio frames of `samplesPerFrame` samples with the LAME tag's `gapless`
 * numbers. When the header declares another frame count, the padding belongs to an ending this
 * input does not have: only the decoder delay comes off the end (every decoded sample of the source
 * is kept), and a warning says why.
 */
export function gaplessWindow(
  info: Mp3InfoFrame | null,
  gapless: { encoderDelay: number; padding: number } | null,
  frames: number,
  samplesPerFrame: number,
): Mp3GaplessWindow {
  const total = frames * samplesPerFrame;
  if (!gapless) return { playableSamples: total, paddingApplied: false, warning: null };
  const declared = info?.frames ?? null;
  if (declared === null || declared === frames) {
    return { playableSamples: Math.max(0, total - gapless.encoderDelay - gapless.padding), paddingApplied: true, warning: null };
  }
  const playableSamples = Math.max(0, total - gapless.encoderDelay - MP3_DECODER_DELAY);
  const header = info?.kind === 'xing' ? 'Xing' : 'Info';
  const what =
    frames < declared
      ? `The MP3 is cut short: its ${header} header declares ${declared} audio frames and only ${frames} were found`
      : `The MP3 has more audio frames than its ${header} header declares (it declares ${declared} audio frames and ${frames} were found: joined or edited?)`;
  return {
    playableSamples,
    paddingApplied: false,
    warning: {
      code: 'MP3_FRAME_COUNT_MISMATCH',
      message: `${what}, so the LAME tag's end padding (${gapless.padding} samples, written for the original file) is not applied: all ${playableSamples} decoded samples after the start delay are kept.`,
      details: { declaredFrames: declared, foundFrames: frames, padding: gapless.padding, playableSamples },
    },
  };
}
