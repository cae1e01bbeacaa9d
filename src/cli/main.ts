// The `mp4forge` command: dispatch, help, and the one place that turns failures into a single
// stderr line and an exit status (src/cli/errors.ts: 2 usage, 1 runtime, 3 input ended mid-frame,
// 130/143 after SIGINT/SIGTERM).
import { inspect } from 'node:util';
import { version } from '../../package.json';
import { commandHelp, wantsHelp, type CommandSpec } from './args.js';
import { encodeCommand, encodeSpec } from './commands/encode.js';
import { probeCommand, probeSpec } from './commands/probe.js';
import { QUEUE_SUBCOMMANDS, queueSpec } from './commands/queue-spec.js';
// Type only (erased): the module itself imports bullmq and ioredis and is loaded on demand below.
import type * as QueueCommands from './commands/queue.js';
import { renderCommand, renderSpec } from './commands/render.js';
import { stitchCommand, stitchSpec } from './commands/stitch.js';
import { Mp4ForgeError } from '../errors.js';
import { removeTempFilesSync } from '../platform/file-output.js';
import { closest } from '../did-you-mean.js';
import { describeFailure, oneLine, outputNote, UsageError } from './errors.js';

// Our own output goes through process.stdout/stderr directly. Library code that prints with
// console.* — the Emscripten encoder prints to console.log/warn when an abandoned chunk is torn
// down — must not reach stdout (which may carry the MP4 or the JSON summary) nor add lines to an
// error report. Replaced before the encoder module loads, since it binds console.log at load time.
function quietConsole(): void {
  const debug = process.env.MP4FORGE_DEBUG === '1';
  const toStderr = (...parts: unknown[]) => {
    if (debug) process.stderr.write(`[debug] ${parts.map((p) => (typeof p === 'string' ? p : inspect(p))).join(' ')}\n`);
  };
  for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[m] = toStderr;
}
quietConsole();

interface Command {
  spec: CommandSpec;
  /** Resolves 'stopped' when a signal ended the command the normal way (a queue worker): exit 0. */
  run(argv: readonly string[], signal: AbortSignal): Promise<void | 'stopped'>;
  /** Subcommands with their own --help (`mp4forge queue worker --help`). */
  sub?: Record<string, CommandSpec>;
}

// process.stdin is created only when a command reads stdin as a stream: `encode` gives readRawFrames
// fd 0, which reads a pipe through a handle of its own (platform/pipe-frames.ts), and two libuv
// handles must not share one descriptor.
const io = {
  get stdin() {
    return process.stdin;
  },
  stdinFd: 0,
  stdout: process.stdout,
  stderr: process.stderr,
};

const COMMANDS: Record<string, Command> = {
  render: { spec: renderSpec, run: (argv, signal) => renderCommand(argv, io, signal) },
  encode: { spec: encodeSpec, run: (argv, signal) => encodeCommand(argv, io, signal) },
  probe: { spec: probeSpec, run: (argv) => probeCommand(argv, io) },
  stitch: { spec: stitchSpec, run: (argv, signal) => stitchCommand(argv, io, signal) },
  queue: { spec: queueSpec, sub: QUEUE_SUBCOMMANDS, run: (argv, signal) => runQueue(argv, signal) },
};

/** `mp4forge queue …`: its module imports bullmq and ioredis (optional peers), so it loads only now. */
async function runQueue(argv: readonly string[], signal: AbortSignal): Promise<void | 'stopped'> {
  const [sub, ...rest] = argv;
  if (sub === undefined || !QUEUE_SUBCOMMANDS[sub]) {
    const what = sub === undefined ? 'missing' : `unknown queue subcommand '${sub}';`;
    throw new UsageError(`${what} queue needs worker, submit or status (see mp4forge queue --help)`, 'queue');
  }
  let mod: typeof QueueCommands;
  try {
    mod = await import('./commands/queue.js');
  } catch (err) {
    const missing = /Cannot find (?:package|module) '(bullmq|ioredis)'/.exec(err instanceof Error ? err.message : '');
    if (!missing) throw err;
    throw new Mp4ForgeError(
      'QUEUE_UNAVAILABLE',
      `mp4forge queue needs the optional packages bullmq and ioredis, and ${missing[1]} is not installed: npm install bullmq ioredis`,
      { cause: err },
    );
  }
  return mod.queueCommand(sub, rest, io, signal);
}

function mainHelp(): string {
  const rows = Object.values(COMMANDS).map((c) => `  ${c.spec.name.padEnd(8)}${c.spec.summary.split('. ')[0].replace(/\.$/, '')}`);
  return [
    `mp4forge ${version}: generated frames → MP4 with a WASM H.264 encoder, no ffmpeg needed.`,
    '',
    'Usage: mp4forge <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    '  -h, --help     Show help (mp4forge <command> --help for a command).',
    '  -V, --version  Print the version.',
    '',
    'Examples:',
    '  mp4forge render --pattern plasma --frames 300 --out demo.mp4',
    '  python gen.py | mp4forge encode --width 640 --height 480 --pix-fmt rgb24 --fps 30 --out out.mp4',
    '  mp4forge probe out.mp4',
    '  mp4forge render --frames 600 --segment 1/2 --out p1.m4s  (and 2/2), then: mp4forge stitch p1.m4s p2.m4s --out out.mp4',
    '  mp4forge queue worker --redis redis://127.0.0.1:6379 --store /mnt/parts   (then: mp4forge queue submit … --wait)',
    '',
    'Exit status: 0 success, 1 runtime error, 2 usage error, 3 input ended inside a frame (encode: the whole frames were kept),',
    '130/143 interrupted by SIGINT/SIGTERM (an existing output file is left as it was).',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    // Bare `mp4forge` is a usage error (it was asked to do nothing): help goes to stderr, status 2.
    const out = first === undefined ? process.stderr : process.stdout;
    out.write(`${topic && COMMANDS[topic] ? commandHelp(COMMANDS[topic].spec) : mainHelp()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = COMMANDS[first];
  if (!command) {
    const guess = first.startsWith('-') ? null : closest(first, Object.keys(COMMANDS));
    const what = first.startsWith('-') ? `unknown option ${first}` : `unknown command '${first}'${guess ? ` (did you mean ${guess}?)` : ''}`;
    throw new UsageError(`${what}; commands: ${Object.keys(COMMANDS).join(', ')} (see mp4forge --help)`);
  }
  if (wantsHelp(rest)) {
    const sub = command.sub && rest[0] !== undefined ? command.sub[rest[0]] : undefined;
    process.stdout.write(`${commandHelp(sub ?? command.spec)}\n`);
    return 0;
  }

  const controller = new AbortController();
  let signalled = null as NodeJS.Signals | null; // set by the handler, read after awaits
  let finished = false; // the outcome is known (and, after a signal, reported): the process is exiting
  const onSignal = (sig: NodeJS.Signals) => {
    if (finished) return;
    if (signalled) {
      // A second signal: leave now, but not before the part of the cleanup that matters, done
      // synchronously: the unfinished output's temporary file goes (an existing file was never
      // touched). Worker threads end with the process.
      const removed = removeTempFilesSync();
      const files = `${removed.length} temporary file${removed.length === 1 ? '' : 's'}`;
      const what = removed.length > 0 ? `removed the unfinished output (${files})` : 'nothing to remove';
      process.stderr.write(`mp4forge: interrupted again by ${sig}: stopping at once; ${what}\n`);
      process.exit(signalled === 'SIGINT' ? 130 : 143);
    }
    signalled = sig;
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  // Never removed: a signal that comes while the process is exiting must not fall back to the
  // default action (killed by the signal, without a word). Node does not wait for signal handlers.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await command.run(rest, controller.signal);
    if (signalled && outcome !== 'stopped') throw new Error('interrupted');
    finished = true;
    return 0;
  } catch (err) {
    finished = true;
    if (signalled) {
      const note = outputNote(err);
      process.stderr.write(`mp4forge: interrupted by ${signalled}${note ? `; ${note}` : ''}\n`);
      return signalled === 'SIGINT' ? 130 : 143;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const { message, exitCode } = describeFailure(err);
    process.stderr.write(`mp4forge: ${oneLine(message)}\n`);
    if (process.env.MP4FORGE_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = exitCode;
  },
);
