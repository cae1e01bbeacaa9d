// Compile-time check (never imported at run time): every `*.browser.ts` module offers exactly the
// exports of the Node module it replaces in the browser build (and every `*.workerd.ts` module those of the
// module it replaces in the workerd build), with compatible types.
import type * as IoNode from './io.js';
import type * as IoBrowser from './io.browser.js';
import type * as HostNode from '../pool/host.js';
import type * as HostBrowser from '../pool/host.browser.js';
import type * as HostWorkerd from '../pool/host.workerd.js';
import type * as BytesDefault from '../encode/h264/wasm-bytes.js';
import type * as BytesWorkerd from '../encode/h264/wasm-bytes.workerd.js';

// (h264-mp4-encoder's Node/web import is checked by src/encode/wasm-import.contract.ts: it belongs
// to that backend.)
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Assert<T extends true> = T;

export type PlatformContract = [
  Assert<Same<keyof typeof IoNode, keyof typeof IoBrowser>>,
  Assert<typeof IoBrowser extends typeof IoNode ? true : false>,
  Assert<Same<keyof typeof HostNode, keyof typeof HostBrowser>>,
  Assert<typeof HostBrowser extends typeof HostNode ? true : false>,
  Assert<Same<keyof typeof HostNode, keyof typeof HostWorkerd>>,
  Assert<typeof HostWorkerd extends typeof HostNode ? true : false>,
  Assert<Same<keyof typeof BytesDefault, keyof typeof BytesWorkerd>>,
  Assert<typeof BytesWorkerd extends typeof BytesDefault ? true : false>,
];
