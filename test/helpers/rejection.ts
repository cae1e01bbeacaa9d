import { expect } from 'vitest';
import { Mp4ForgeError } from '../../src/errors.js';

/** Awaits `p`, which must reject with an Mp4ForgeError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<Mp4ForgeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Mp4ForgeError);
    return err as Mp4ForgeError;
  }
  throw new Error('expected a rejection');
}

/** Calls `f`, which must throw an Mp4ForgeError, and returns that error. */
export function thrown(f: () => unknown): Mp4ForgeError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(Mp4ForgeError);
    return err as Mp4ForgeError;
  }
  throw new Error('expected a throw');
}
