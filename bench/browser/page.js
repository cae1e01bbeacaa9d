// Bench page: one long-lived worker (so WASM compiles once), jobs posted one at a time, the MP4
// returned to Node as base64 for the PSNR measurement.
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let pending = null;
worker.onmessage = (e) => {
  const p = pending;
  pending = null;
  p?.resolve(e.data);
};
worker.onerror = (e) => {
  const p = pending;
  pending = null;
  p?.reject(new Error(`bench worker: ${e.message}`));
};

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function run(job) {
  if (pending) throw new Error('one job at a time');
  const reply = await new Promise((resolve, reject) => {
    pending = { resolve, reject };
    worker.postMessage(job);
  });
  if (reply.error) return { error: reply.error };
  return { ...reply, mp4: job.keep ? base64(reply.mp4) : undefined };
}

/** What WebCodecs offers for H.264 here (asked from the worker, where encoding happens). */
async function webcodecs(job) {
  return run({ ...job, type: 'support' });
}

window.bench = { run, webcodecs };
