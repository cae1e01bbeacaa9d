// Compile-time check (never imported at run time): every `*.browser.ts` module offers exactly the
// exports of the Node module it replaces in the browser build, with compatible types.
import type * as IoNode from './io.js';
import type * as IoBrowser from './io.browser.js';
import type * as HostNode from '../pool/host.js';
import type * as HostBrowser from '../pool/host.browser.js';

// (h264-mp4-encoder's Node/web import is checked by src/encode/wasm-import.contract.ts: it belongs
// to that backend.)
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Assert<T extends true> = T;

export type PlatformContract = [
  Assert<Same<keyof typeof IoNode, keyof typeof IoBrowser>>,
  Assert<typeof IoBrowser extends typeof IoNode ? true : false>,
  Assert<Same<keyof typeof HostNode, keyof typeof HostBrowser>>,
  Assert<typeof HostBrowser extends typeof HostNode ? true : false>,
];
