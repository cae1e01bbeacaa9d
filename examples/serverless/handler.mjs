// AWS Lambda (Node.js 18/20/22 runtime) behind API Gateway or a Function URL:
//   GET /clip?seconds=2&pattern=plasma  →  an MP4 (H.264 + MP3), base64 in the response body.
// Deploy this file with node_modules/mp4forge; the handler setting is `handler.handler`.
import { audio, createMp4Writer, isMp4ForgeError } from 'mp4forge';

const PATTERNS = ['plasma', 'bars', 'gradient', 'noise'];
// API Gateway caps a response at 6 MB (base64 included); 320×180 for 10 s stays far below it.
const MAX_SECONDS = 10;

export const handler = async (event, context) => {
  const query = event?.queryStringParameters ?? {};
  const seconds = Number(query.seconds ?? 2);
  const pattern = query.pattern ?? 'plasma';
  if (!(seconds > 0 && seconds <= MAX_SECONDS) || !PATTERNS.includes(pattern)) {
    return text(400, `seconds must be in (0, ${MAX_SECONDS}] and pattern one of ${PATTERNS.join(', ')}`);
  }
  const fps = 24;
  try {
    const writer = await createMp4Writer({
      width: 320,
      height: 180,
      fps,
      output: { buffer: true }, // or a path under /tmp, the only writable directory on Lambda
      audio: audio.melody({ seconds }),
    });
    await writer.addFrames(Math.round(seconds * fps), pattern);
    const { data } = await writer.finish();
    return {
      statusCode: 200,
      headers: { 'content-type': 'video/mp4', 'x-request-id': context?.awsRequestId ?? '' },
      isBase64Encoded: true,
      body: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    };
  } catch (err) {
    if (isMp4ForgeError(err)) return text(500, `${err.code}: ${err.message}`);
    throw err;
  }
};

function text(statusCode, message) {
  return { statusCode, headers: { 'content-type': 'text/plain' }, isBase64Encoded: false, body: message };
}
