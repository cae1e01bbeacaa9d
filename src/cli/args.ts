// A small, strict command-line parser: every option is declared once (name, kind, help), which
// drives parsing, validation and the --help text alike. No framework: the CLI's surface is small
// and its error messages are part of the product.
import { closest } from '../did-you-mean.js';
import { UsageError } from './errors.js';

export type OptionKind =
  | { type: 'int'; min?: number; max?: number }
  | { type: 'number'; min?: number }
  | { type: 'string' }
  | { type: 'choice'; choices: readonly string[] }
  | { type: 'flag' };

export interface OptionSpec {
  /** Long name without dashes: `width` for `--width`. */
  name: string;
  kind: OptionKind;
  /** Placeholder in help, e.g. `N` or `FILE`. */
  metavar?: string;
  help: string;
  /** Shown in help; the command applies defaults itself. */
  defaultText?: string;
  /** Single-letter alias without the dash: `o` for `-o`. */
  short?: string;
  required?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Usage line after `mp4forge <name> `. */
  usage: string;
  options: readonly OptionSpec[];
  /** Names of positional arguments, in order; all required. A `variadic` last one takes one or more words. */
  positionals?: readonly { name: string; help: string; variadic?: boolean }[];
  /** Extra help text after the options (examples, notes). */
  epilog?: string;
}

export type OptionValue = string | number | boolean;

export interface ParsedArgs {
  values: ReadonlyMap<string, OptionValue>;
  positionals: readonly string[];
}

/** True when argv asks for help (`--help` or `-h` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * Parses `argv` (the words after the command name) against `spec`. Accepts `--name value`,
 * `--name=value`, `-x value` and `--` to end options. Rejects unknown options, repeated options,
 * missing values, malformed numbers, values outside a choice list, and missing required options.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short as string, o]));
  const values = new Map<string, OptionValue>();
  const positionals: string[] = [];
  const fail = (message: string): never => {
    throw new UsageError(message, spec.name);
  };

  let i = 0;
  let optionsEnded = false;
  while (i < argv.length) {
    const word = argv[i++];
    if (optionsEnded || word === '-' || !word.startsWith('-')) {
      positionals.push(word);
      continue;
    }
    if (word === '--') {
      optionsEnded = true;
      continue;
    }
    let opt: OptionSpec | undefined;
    let inline: string | undefined;
    let shown: string;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      if (eq >= 0) inline = word.slice(eq + 1);
      opt = byName.get(name);
      shown = `--${name}`;
    } else {
      opt = word.length === 2 ? byShort.get(word[1]) : undefined;
      shown = word;
    }
    if (!opt) fail(unknownOption(shown, spec));
    const o = opt as OptionSpec;
    if (values.has(o.name)) fail(`--${o.name} was given more than once`);
    if (o.kind.type === 'flag') {
      if (inline !== undefined) fail(`--${o.name} is a flag and takes no value, got --${o.name}=${inline}`);
      values.set(o.name, true);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i];
      // A following word that looks like an option is not taken as the value (`--out --json`),
      // except a negative number or a lone '-' (stdin/stdout).
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        fail(`--${o.name} needs a value (${o.metavar ?? 'VALUE'})`);
      }
      raw = next;
      i++;
    }
    values.set(o.name, convert(o, raw, fail));
  }

  for (const o of spec.options) if (o.required && !values.has(o.name)) fail(`--${o.name} is required (${o.help.replace(/\.$/, '')})`);
  const wanted = spec.positionals ?? [];
  if (positionals.length > wanted.length && !wanted[wanted.length - 1]?.variadic) {
    fail(
      wanted.length === 0
        ? `unexpected argument '${positionals[0]}'; '${spec.name}' takes only options (see mp4forge ${spec.name} --help)`
        : `unexpected extra argument '${positionals[wanted.length]}'`,
    );
  }
  if (positionals.length < wanted.length) fail(`missing ${wanted[positionals.length].name}: usage: mp4forge ${spec.name} ${spec.usage}`);
  return { values, positionals };
}

function convert(o: OptionSpec, raw: string, fail: (m: string) => never): OptionValue {
  const k = o.kind;
  switch (k.type) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw.trim())) fail(`--${o.name} expects an integer, got '${raw}'`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) fail(`--${o.name} is out of range: ${raw}`);
      if (k.min !== undefined && n < k.min) fail(`--${o.name} must be at least ${k.min}, got ${n}`);
      if (k.max !== undefined && n > k.max) fail(`--${o.name} must be at most ${k.max}, got ${n}`);
      return n;
    }
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) fail(`--${o.name} expects a number, got '${raw}'`);
      if (k.min !== undefined && n < k.min) fail(`--${o.name} must be at least ${k.min}, got ${n}`);
      return n;
    }
    case 'choice':
      if (!k.choices.includes(raw)) fail(`--${o.name} must be one of ${k.choices.join(', ')}; got '${raw}'`);
      return raw;
    case 'string':
      if (raw === '') fail(`--${o.name} needs a non-empty value`);
      return raw;
    case 'flag':
      return true; // flags take no value; parseArgs never converts one
  }
}

function unknownOption(shown: string, spec: CommandSpec): string {
  const names = spec.options.map((o) => `--${o.name}`);
  const guess = closest(shown, names);
  return `unknown option ${shown} for '${spec.name}'${guess ? ` (did you mean ${guess}?)` : ''}; valid options: ${names.join(', ')}`;
}

/** Typed accessors over parsed values; the spec already guaranteed the types. */
export class Args {
  constructor(private readonly parsed: ParsedArgs) {}

  get positionals(): readonly string[] {
    return this.parsed.positionals;
  }

  has(name: string): boolean {
    return this.parsed.values.has(name);
  }

  flag(name: string): boolean {
    return this.parsed.values.get(name) === true;
  }

  int(name: string): number | undefined;
  int(name: string, fallback: number): number;
  int(name: string, fallback?: number): number | undefined {
    const v = this.parsed.values.get(name);
    return v === undefined ? fallback : (v as number);
  }

  number(name: string): number | undefined {
    return this.parsed.values.get(name) as number | undefined;
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const v = this.parsed.values.get(name);
    return v === undefined ? fallback : (v as string);
  }
}

/** The `mp4forge <command> --help` text, generated from the spec. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: mp4forge ${spec.name} ${spec.usage}`, '', spec.summary, ''];
  if (spec.positionals?.length) {
    lines.push('Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(26)}${p.help}`);
    lines.push('');
  }
  lines.push('Options:');
  const rows = spec.options.map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.kind.type === 'flag' ? '' : ` ${o.metavar ?? 'VALUE'}`}`;
    let help = o.help;
    if (o.kind.type === 'choice') help += ` (${o.kind.choices.join('|')})`;
    if (o.required) help += ' [required]';
    else if (o.defaultText) help += ` [default: ${o.defaultText}]`;
    return [flag, help] as const;
  });
  rows.push(['-h, --help', 'Show this help.']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  for (const [flag, help] of rows) lines.push(`  ${flag.padEnd(width)}${help}`);
  if (spec.epilog) lines.push('', spec.epilog);
  return lines.join('\n');
}
