// The encoder module's bytes, for runtimes that compile WebAssembly themselves (Node, Bun, Deno,
// browsers). Imported lazily, so the base64 text is its own chunk: fetched by the first encoder,
// never by an app that only reads files. The workerd build swaps in wasm-bytes.workerd.ts.

/** The module's bytes, decoded from the base64 the build embeds. */
export async function encoderWasmBytes(): Promise<Uint8Array<ArrayBuffer>> {
  const { H264_WASM_BASE64 } = await import('./generated/h264-wasm.js');
  const bin = atob(H264_WASM_BASE64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
