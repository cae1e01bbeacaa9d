// Bench worker for bench/workerd.mjs: renders `frames` frames of a pattern at width x height with a
// melody, fragmented, into a sink that only counts bytes (the response carries the count).
import { audio, createMp4Writer } from 'mp4forge';

export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    const width = Number(q.get('width'));
    const height = Number(q.get('height'));
    const frames = Number(q.get('frames'));
    const fps = 30;
    let bytes = 0;
    const sink = new WritableStream({ write: (chunk) => void (bytes += chunk.byteLength) });
    const writer = await createMp4Writer({ width, height, fps, layout: 'fragmented', output: sink, audio: audio.melody({ seconds: frames / fps }) });
    await writer.addFrames(frames, q.get('pattern') ?? 'plasma');
    const result = await writer.finish();
    return Response.json({ frames: result.frames, bytes });
  },
};
