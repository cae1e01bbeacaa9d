// npm run size: what the browser entry costs a web app. Two tiny apps import `mp4forge` through
// package.json `exports` (browser condition) and are bundled by Vite (production build, minified):
//   - "writer": createMp4Writer + generated audio, i.e. the encoder is used;
//   - "probe only": probeMp4 + parseMp3, no writer, so the encoder must not be bundled at all.
// For each: the JS loaded at start (entry + static imports) and the lazily imported encoder chunk,
// raw / gzip -9 / brotli. Also the encoder's WASM, which h264-mp4-encoder embeds as base64.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { bundleBrowserApp } from './lib/browser-bundle.mjs';
import { environment, environmentMd, fmtBytes, mdTable, ROOT, writeResults } from './lib/common.mjs';

const APPS = {
  writer: `import { audio, createMp4Writer } from 'mp4forge';
const w = await createMp4Writer({ width: 640, height: 360, fps: 30, output: { buffer: true }, audio: audio.melody({ seconds: 2 }) });
await w.addFrames(60, 'plasma');
console.log((await w.finish()).bytes);`,
  'probe only': `import { parseMp3, probeMp4 } from 'mp4forge';
console.log(probeMp4, parseMp3);`,
};

const sizes = (code) => {
  const buf = Buffer.from(code);
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
const add = (a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli });
const ZERO = { raw: 0, gzip: 0, brotli: 0 };

const results = {};
for (const [name, code] of Object.entries(APPS)) {
  const { warnings, chunks } = await bundleBrowserApp({ entries: { 'main.js': code }, minify: true });
  if (warnings.length) throw new Error(`Vite warned while bundling the ${name} app:\n${warnings.join('\n')}`);
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  // Start-up JS: the entry and everything it imports statically.
  const initial = new Set();
  const visit = (f) => {
    if (initial.has(f)) return;
    initial.add(f);
    for (const i of byName.get(f).imports) visit(i);
  };
  visit(chunks.find((c) => c.isEntry).fileName);
  const encoder = chunks.filter((c) => c.moduleIds.some((id) => id.includes('h264-mp4-encoder.web')));
  const lazyOther = chunks.filter((c) => !initial.has(c.fileName) && !encoder.includes(c));
  results[name] = {
    initial: [...initial].map((f) => sizes(byName.get(f).code)).reduce(add, ZERO),
    encoder: encoder.map((c) => sizes(c.code)).reduce(add, ZERO),
    otherLazy: lazyOther.map((c) => sizes(c.code)).reduce(add, ZERO),
    encoderBundled: encoder.length > 0,
  };
}

// The WASM inside the encoder: base64 in a data: URI in both of h264-mp4-encoder's builds.
const web = readFileSync(join(ROOT, 'node_modules/h264-mp4-encoder/embuild/dist/h264-mp4-encoder.web.js'), 'utf8');
const b64 = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]{1000,})/.exec(web)[1];
const wasm = Buffer.from(b64, 'base64');
const wasmInfo = {
  wasm: sizes(wasm),
  base64Chars: b64.length,
  base64: sizes(b64),
  webBuildRaw: Buffer.byteLength(web),
  magic: wasm.subarray(0, 4).toString('hex'),
};

const env = environment();
const json = { env, apps: results, wasm: wasmInfo };
const row = (label, s) => [label, fmtBytes(s.raw), fmtBytes(s.gzip), fmtBytes(s.brotli)];
const md = `# mp4forge browser bundle size

Command: \`npm run size\` (= \`npm run build && node bench/size.mjs\`). ${environmentMd(env)}

Each app imports \`mp4forge\` through package.json \`exports\` (browser condition → dist/index.browser.js) and is built by Vite
${JSON.parse(readFileSync(join(ROOT, 'node_modules/vite/package.json'), 'utf8')).version} (production, minified). "At start" is the entry chunk plus
its static imports; the encoder is a separate chunk that is only fetched by the first \`createMp4Writer\`. gzip is level 9, brotli quality 11.

${mdTable(
  ['app / part', 'minified', 'gzip', 'brotli'],
  [
    row('writer app: JS at start (mp4forge core, mp4box, lamejs)', results.writer.initial),
    row('writer app: encoder chunk (lazy, h264-mp4-encoder web build + WASM)', results.writer.encoder),
    row('writer app: total', add(results.writer.initial, results.writer.encoder)),
    row(
      `probe-only app: JS at start (encoder bundled: ${results['probe only'].encoderBundled ? 'YES' : 'no'})`,
      add(results['probe only'].initial, results['probe only'].otherLazy),
    ),
  ],
)}

The encoder's WASM is ${fmtBytes(wasm.length)} (${wasm.length} bytes; gzip ${fmtBytes(wasmInfo.wasm.gzip)}), embedded by h264-mp4-encoder as a base64
\`data:\` URI of ${b64.length} characters (gzip ${fmtBytes(wasmInfo.base64.gzip)}) inside its ${fmtBytes(wasmInfo.webBuildRaw)} web build; the rest of
that build is Emscripten/embind glue plus webpack's Node shims (Buffer, crypto-browserify, …).
`;
const files = writeResults('size', json, md);
console.log(md);
console.log(`wrote ${files.json} and ${files.md}`);
