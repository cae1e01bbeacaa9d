// What the CLI reports and how it exits: one line on stderr and one table of exit statuses (README
// "CLI"): 2 for a wrong command line, 1 for anything that went wrong while running, 3 when the
// input ended inside a frame and the file was finished with the whole frames, 128+n after signal n.
import { Mp4ForgeError, type Mp4ForgeErrorCode } from '../errors.js';

/** A command-line mistake (unknown option, bad value, invalid settings): exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help would explain, if any. */
    readonly command?: string,
    /** Set when the library rejected an option: printed as `[CODE]`. */
    readonly code?: Mp4ForgeErrorCode,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure while running (bad input data, I/O): exit status 1. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/**
 * The input ended inside a frame: the output was finished with the whole frames (exit status 3,
 * so that scripts notice), after the summary was printed.
 */
export class InputEndedMidFrame extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'InputEndedMidFrame';
  }
}

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
export const EXIT_INPUT_ENDED_MID_FRAME = 3;

/** Library codes that mean "the options you gave are wrong" when raised while setting up. */
const OPTION_CODES = new Set<Mp4ForgeErrorCode>(['INVALID_OPTION', 'INVALID_DIMENSIONS']);

/**
 * Turns a library error raised while validating options (before any frame) into a usage error,
 * keeping its code; other errors pass through. An option refused because of what lies underneath
 * it (a file that cannot be read, a scene module that cannot be imported: the error has a `cause`)
 * is not a mistake on the command line: it stays a runtime error.
 */
export function asUsageError(err: unknown, command: string): unknown {
  if (err instanceof Mp4ForgeError && OPTION_CODES.has(err.code) && err.cause === undefined) return new UsageError(inCliTerms(err.message), command, err.code);
  return err;
}

/** The library's names for options that the CLI spells as flags (dotted names may appear anywhere in a message). */
const FLAG_OF: Record<string, string> = {
  'video.qp': '--qp',
  'video.kbps': '--kbps',
  'video.speed': '--speed',
  'video.gop': '--gop',
  'video.encoder': '--encoder',
  'audioEncoding.kbps': '--audio-kbps',
};
/** Names the library puts first in a refusal (`fps must be …`), and their flags. */
const LEADING_FLAG_OF: Record<string, string> = {
  fps: '--fps',
  width: '--width',
  height: '--height',
  frames: '--frames',
  workers: '--workers',
  layout: '--layout',
  stitchLayout: '--layout',
  audioLength: '--audio-length',
  output: '--out',
  audio: '--audio',
  scene: '--scene',
};
/** Library wording that has a command-line form. */
const PHRASES: readonly [string, string][] = [
  ['a number like 30 or a fraction like {num: 30000, den: 1001} / "30000/1001"', 'a whole number like 30 or a fraction like 30000/1001 (29.97 fps)'],
  ['a positive integer or a fraction of positive integers (e.g. 30000/1001 for 29.97)', 'a whole number like 30 or a fraction like 30000/1001 (29.97 fps)'],
];

/** A library message about options, in command-line terms: `video.qp` → `--qp`, `{num, den}` → `30000/1001`. */
export function inCliTerms(message: string): string {
  let m = message;
  for (const [from, to] of PHRASES) m = m.split(from).join(to);
  for (const [name, flag] of Object.entries(FLAG_OF)) m = m.replace(new RegExp(`(?<![\\w.-])${name.replace('.', '\\.')}(?![\\w])`, 'g'), flag);
  const lead = /^([A-Za-z]+)(?= )/.exec(m);
  if (lead && LEADING_FLAG_OF[lead[1]]) m = LEADING_FLAG_OF[lead[1]] + m.slice(lead[1].length);
  return m;
}

/** The one line to print (without the `mp4forge: ` prefix) and the exit status. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof UsageError) return { message: `${err.code ? `[${err.code}] ` : ''}${err.message}`, exitCode: EXIT_USAGE };
  if (err instanceof Mp4ForgeError) return { message: `[${err.code}] ${err.message}`, exitCode: EXIT_RUNTIME };
  if (err instanceof InputEndedMidFrame) return { message: err.message, exitCode: EXIT_INPUT_ENDED_MID_FRAME };
  if (err instanceof CliError) return { message: err.message, exitCode: EXIT_RUNTIME };
  if (err instanceof Error) {
    // Node system errors carry a code (ENOENT, EPIPE...) that is already in the message.
    return { message: err.message || err.name, exitCode: EXIT_RUNTIME };
  }
  return { message: String(err), exitCode: EXIT_RUNTIME };
}

const notes = new WeakMap<object, string>();

/** Attaches what became of the output file (for the one line printed after an interrupt); returns `err`. */
export function withOutputNote(err: unknown, note: string | null): unknown {
  if (note && err !== null && typeof err === 'object') notes.set(err, note);
  return err;
}

/** What became of the output file, when the command that failed said so. */
export function outputNote(err: unknown): string | null {
  return err !== null && typeof err === 'object' ? (notes.get(err) ?? null) : null;
}

/** Keeps a message to one line: stderr readers (and tests) expect exactly one. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
