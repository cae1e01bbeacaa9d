// A module Web Worker running the same code: new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }).
import { render } from './render.js';

self.onmessage = async (event) => {
  try {
    const bytes = await render(event.data);
    self.postMessage({ bytes }, [bytes.buffer]);
  } catch (err) {
    self.postMessage({ error: String(err?.message ?? err) });
  }
};
