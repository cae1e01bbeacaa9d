// npm run size: what the browser entry costs a web app. Two tiny apps import `mp4forge` through
// package.json `exports` (browser condition) and are bundled by Vite (production build, minified):
//   - "writer": createMp4Writer + generated audio, i.e. the encoder and lamejs are used;
//   - "probe only": probeMp4 + parseMp3, no writer, so the encoder is never loaded.
// For each: the JS loaded at start (entry + static imports); the lazy chunks a write with the
// default encoder fetches (mp4forge's WASM encoder, base64); and what the app's build holds but
// that write never fetches (h264-mp4-encoder's web build, fetched only if that backend is chosen;
// the worker pool's transport and encode worker, fetched only with `workers`). raw / gzip -9 / brotli.
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
  const { warnings, chunks, assets } = await bundleBrowserApp({ entries: { 'main.js': code }, minify: true });
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
  const hme = chunks.filter((c) => c.moduleIds.some((id) => id.includes('h264-mp4-encoder.web')));
  const wasm = chunks.filter((c) => c.moduleIds.some((id) => /h264-wasm-\w+\.js$/.test(id)));
  const pool = chunks.filter((c) => c.moduleIds.some((id) => id.includes('web-transport')));
  // lamejs: a lazy chunk of its own, fetched only to encode generated (PCM) audio.
  const lame = chunks.filter((c) => !initial.has(c.fileName) && c.moduleIds.some((id) => /lamejs/.test(id)));
  const lazyOther = chunks.filter((c) => !initial.has(c.fileName) && ![...hme, ...wasm, ...pool, ...lame].includes(c));
  const sum = (list) => list.map((c) => sizes(c.code)).reduce(add, ZERO);
  results[name] = {
    initial: sum([...initial].map((f) => byName.get(f))),
    wasm: sum(wasm),
    lame: sum(lame),
    hme: sum(hme),
    pool: add(sum(pool), (assets ?? []).map((a) => sizes(a.source)).reduce(add, ZERO)),
    otherLazy: sum(lazyOther),
    wasmBundled: wasm.length > 0,
  };
}

// The WASM inside h264-mp4-encoder: base64 in a data: URI in both of its builds.
const web = readFileSync(join(ROOT, 'node_modules/h264-mp4-encoder/embuild/dist/h264-mp4-encoder.web.js'), 'utf8');
const b64 = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]{1000,})/.exec(web)[1];
const wasm = Buffer.from(b64, 'base64');
const own = readFileSync(join(ROOT, 'dist/h264.wasm'));
const wasmInfo = {
  own: sizes(own),
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
The pool's encode worker is bundled by Vite's default \`worker.format\` ('iife', every lazy chunk inlined).

${mdTable(
  ['app / part', 'minified', 'gzip', 'brotli'],
  [
    row('writer app: JS at start (mp4forge core, mp4box)', results.writer.initial),
    row("writer app: mp4forge's H.264 encoder (lazy chunk: WASM as base64)", results.writer.wasm),
    row('**writer app: total fetched to write a video** (default encoder; an MP3 soundtrack or none)', add(results.writer.initial, results.writer.wasm)),
    row('writer app: lamejs (lazy chunk, fetched only to encode generated PCM audio)', results.writer.lame),
    row('writer app: total with generated audio', add(add(results.writer.initial, results.writer.wasm), results.writer.lame)),
    row("writer app, built but never fetched by default: h264-mp4-encoder's web build (only if chosen)", results.writer.hme),
    row('writer app, built but fetched only with `workers`: pool transport + encode worker', results.writer.pool),
    row(
      `probe-only app: JS at start (encoder chunk in its build: ${results['probe only'].wasmBundled ? 'yes, never fetched' : 'no'})`,
      add(results['probe only'].initial, results['probe only'].otherLazy),
    ),
  ],
)}

mp4forge's encoder is ${fmtBytes(own.length)} of WASM (gzip ${fmtBytes(wasmInfo.own.gzip)}), shipped as dist/h264.wasm (the workerd build imports
it) and as base64 in a lazily imported chunk (every other build). h264-mp4-encoder's WASM, for comparison, is ${fmtBytes(wasm.length)}
(gzip ${fmtBytes(wasmInfo.wasm.gzip)}), embedded as a base64 \`data:\` URI inside its ${fmtBytes(wasmInfo.webBuildRaw)} web build with
Emscripten/embind glue and webpack's Node shims.
`;
const files = writeResults('size', json, md);
console.log(md);
console.log(`wrote ${files.json} and ${files.md}`);
