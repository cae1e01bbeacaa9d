// What the CLI reports and how it exits: one line on stderr, status 2 for a wrong command line,
// 1 for anything that went wrong while running, 128+n after signal n.
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

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** Library codes that mean "the options you gave are wrong" when raised while setting up. */
const OPTION_CODES = new Set<Mp4ForgeErrorCode>(['INVALID_OPTION', 'INVALID_DIMENSIONS']);

/**
 * Turns a library error raised while validating options (before any frame) into a usage error,
 * keeping its code; other errors pass through.
 */
export function asUsageError(err: unknown, command: string): unknown {
  if (err instanceof Mp4ForgeError && OPTION_CODES.has(err.code)) return new UsageError(err.message, command, err.code);
  return err;
}

/** The one line to print (without the `mp4forge: ` prefix) and the exit status. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof UsageError) return { message: `${err.code ? `[${err.code}] ` : ''}${err.message}`, exitCode: EXIT_USAGE };
  if (err instanceof Mp4ForgeError) return { message: `[${err.code}] ${err.message}`, exitCode: EXIT_RUNTIME };
  if (err instanceof CliError) return { message: err.message, exitCode: EXIT_RUNTIME };
  if (err instanceof Error) {
    // Node system errors carry a code (ENOENT, EPIPE...) that is already in the message.
    return { message: err.message || err.name, exitCode: EXIT_RUNTIME };
  }
  return { message: String(err), exitCode: EXIT_RUNTIME };
}

/** Keeps a message to one line: stderr readers (and tests) expect exactly one. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
