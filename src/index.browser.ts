/**
 * mp4forge for browsers, Web Workers and edge runtimes (the `browser` condition): the same API as
 * the Node entry, built with the `*.browser.ts` variants of the platform modules, so nothing here
 * imports a Node builtin. File-path outputs/inputs and Node streams throw UNSUPPORTED_RUNTIME;
 * use { buffer: true }, a WritableStream, a Sink, bytes or a ReadableStream instead.
 * @packageDocumentation
 */
export * from './index.js';
