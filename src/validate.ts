// The one template for refusing an option, and the did-you-mean for unknown names (used by the
// library's options and the CLI's flags alike). Every type of options object is checked in one
// place (src/options.ts), through these helpers, so every refusal reads the same way:
//   `<name> must be <what is expected>, got <what was given>`
//   `<name> is not an option (did you mean <closest>?); expected one of <names>`
import { closest } from './did-you-mean.js';
import { Mp4ForgeError, type Mp4ForgeErrorCode } from './errors.js';

export { closest };

/** A value as a refusal shows it: JSON where JSON is exact, else a description (NaN, Infinity, functions, class instances). */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  // A frame passed where a number was expected must not put megabytes of digits into a message.
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${v.byteLength} bytes`;
  if (v instanceof ArrayBuffer) return `an ArrayBuffer of ${v.byteLength} bytes`;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const ctor = (v).constructor?.name;
    if (ctor && ctor !== 'Object') return `an object (${ctor})`;
  }
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** `<name> must be <expected>, got <value>`. */
export function refuse(name: string, expected: string, got: unknown, code: Mp4ForgeErrorCode = 'INVALID_OPTION'): Mp4ForgeError {
  return new Mp4ForgeError(code, `${name} must be ${expected}, got ${show(got)}`, { details: { option: name } });
}

/** An INVALID_OPTION with a message of its own, for rules between options (exclusive, dependent). */
export function conflict(message: string, option: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', message, { details: { option } });
}

/**
 * Checks that `value` is a plain options object whose keys are all in `allowed`. `name` prefixes
 * the keys in messages (`video` → `video.qpp`); `what` says what needs the object.
 */
export function optionsObject(value: unknown, name: string, allowed: readonly string[], what = `${name} must be an options object`): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Mp4ForgeError('INVALID_OPTION', `${what}, got ${show(value)}`, { details: { option: name } });
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue;
    const full = name ? `${name}.${key}` : key;
    const guess = closest(key, allowed);
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `${full} is not an option${guess ? ` (did you mean ${name ? `${name}.` : ''}${guess}?)` : ''}; expected one of ${allowed.join(', ')}`,
      { details: { option: full } },
    );
  }
  return o;
}
