// MP3 encoding speed through lamejs: 60 s of audio.melody at 44.1 kHz stereo, 128 kbit/s CBR.
//
//   encode    encodePcmToMp3 over the pre-rendered PCM (whole-buffer form): float→int16 + lamejs.
//   pipeline  encodePcmToMp3(audio.melody(...)): synthesis and encoding together, as the demo runs.
//   synth     audio.melody pulled dry, no encoding.
//
// Each is run --reps times (default 3), rotating the order; figures are medians, reported as
// "× real time" (seconds of audio per second of wall time). Output: a JSON line, then text.
//
//   node bench/lame.mjs [--reps N] [--seconds S]
//   MP4FORGE_MODULE=/tmp/bundle.mjs node bench/lame.mjs   (any module exporting encodePcmToMp3 and audio)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import os from 'node:os';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const REPS = arg('reps', 3);
const SECONDS = arg('seconds', 60);
const SAMPLE_RATE = 44100;
const KBPS = 128;
if (!(REPS >= 1) || !(SECONDS > 0)) throw new Error('--reps and --seconds must be positive');

const spec = process.env.MP4FORGE_MODULE;
const url = spec ? pathToFileURL(resolve(spec)).href : new URL('../dist/index.js', import.meta.url).href;
const lib = await import(url);
const { encodePcmToMp3, audio } = lib;
if (typeof encodePcmToMp3 !== 'function' || typeof audio?.melody !== 'function') {
  throw new Error(`${url} does not export encodePcmToMp3 and audio`);
}

const melody = () => audio.melody({ seconds: SECONDS, sampleRate: SAMPLE_RATE, channels: 2 });

function render() {
  const src = melody();
  const left = new Float32Array(SECONDS * SAMPLE_RATE);
  const right = new Float32Array(SECONDS * SAMPLE_RATE);
  let o = 0;
  let b;
  while ((b = src.pull(8192))) {
    left.set(b[0], o);
    right.set(b[1], o);
    o += b[0].length;
  }
  if (o !== left.length) throw new Error(`melody gave ${o} samples, expected ${left.length}`);
  return [left, right];
}

async function drain(it) {
  let bytes = 0;
  let r = await it.next();
  while (!r.done) {
    bytes += r.value.length;
    r = await it.next();
  }
  return { bytes, summary: r.value };
}

const planes = render();
const variants = {
  encode: async () => drain(encodePcmToMp3({ sampleRate: SAMPLE_RATE, planes }, { kbps: KBPS })),
  pipeline: async () => drain(encodePcmToMp3(melody(), { kbps: KBPS })),
  synth: async () => {
    const src = melody();
    let n = 0;
    let b;
    while ((b = src.pull(8192))) n += b[0].length;
    return { bytes: 0, summary: { inputSamples: n } };
  },
};
const names = Object.keys(variants);
const times = Object.fromEntries(names.map((n) => [n, []]));
let reference;

await variants.encode(); // warm-up: JIT and lamejs tables
for (let rep = 0; rep < REPS; rep++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(rep + k) % names.length];
    const t0 = performance.now();
    const out = await variants[name]();
    times[name].push((performance.now() - t0) / 1000);
    if (out.summary.inputSamples !== SECONDS * SAMPLE_RATE) throw new Error(`${name}: ${out.summary.inputSamples} samples`);
    if (name === 'encode') {
      if (reference && reference.bytes !== out.bytes) throw new Error('encode output size changed between runs');
      reference = out;
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const result = {
  bench: 'lame',
  audioSeconds: SECONDS,
  sampleRate: SAMPLE_RATE,
  channels: 2,
  kbps: KBPS,
  reps: REPS,
  mp3Bytes: reference.bytes,
  frames: reference.summary.frames,
  encoderDelay: reference.summary.encoderDelay,
  padding: reference.summary.padding,
  medianSeconds: Object.fromEntries(names.map((n) => [n, +median(times[n]).toFixed(3)])),
  realtimeFactor: Object.fromEntries(names.map((n) => [n, +(SECONDS / median(times[n])).toFixed(1)])),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cpus: os.cpus().length,
};
console.log(JSON.stringify(result));
console.log(`lamejs MP3, ${SECONDS} s melody, ${SAMPLE_RATE} Hz stereo, ${KBPS} kbit/s, median of ${REPS} (${result.cpu}, Node ${process.version})`);
for (const n of names) console.log(`  ${n.padEnd(9)} ${result.medianSeconds[n].toFixed(3)} s   ${result.realtimeFactor[n].toFixed(1)}× real time`);
console.log(
  `  output    ${(reference.bytes / 1e6).toFixed(2)} MB, ${reference.summary.frames} frames, delay ${reference.summary.encoderDelay}, padding ${reference.summary.padding}`,
);
