// Compile-time check (never imported at run time): every `*.browser.ts` module offers exactly the
// exports of the Node module it replaces in the browser build, with compatible types.
import type * as IoNode from './io.js';
import type * as IoBrowser from './io.browser.js';
import type * as WasmNode from '../encode/wasm-import.js';
import type * as WasmBrowser from '../encode/wasm-import.browser.js';
import type * as HostNode from '../pool/host.js';
import type * as HostBrowser from '../pool/host.browser.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type PlatformContract = [
  Assert<Same<keyof typeof IoNode, keyof typeof IoBrowser>>,
  Assert<typeof IoBrowser extends typeof IoNode ? true : false>,
  Assert<Same<keyof typeof WasmNode, keyof typeof WasmBrowser>>,
  Assert<typeof WasmBrowser extends typeof WasmNode ? true : false>,
  Assert<Same<keyof typeof HostNode, keyof typeof HostBrowser>>,
  Assert<typeof HostBrowser extends typeof HostNode ? true : false>,
];
