// Compile-time check (never imported at run time): h264-mp4-encoder's browser (and workerd) import offers exactly
// the exports of its Node import, with compatible types (see src/platform/contract.ts).
import type { Assert, Same } from '../platform/contract.js';
import type * as WasmBrowser from './wasm-import.browser.js';
import type * as WasmNode from './wasm-import.js';
import type * as WasmWorkerd from './wasm-import.workerd.js';

export type WasmImportContract = [
  Assert<Same<keyof typeof WasmNode, keyof typeof WasmBrowser>>,
  Assert<typeof WasmBrowser extends typeof WasmNode ? true : false>,
  Assert<Same<keyof typeof WasmNode, keyof typeof WasmWorkerd>>,
  Assert<typeof WasmWorkerd extends typeof WasmNode ? true : false>,
];
