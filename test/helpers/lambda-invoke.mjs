// Invokes a Lambda-style handler the way the AWS Node.js runtime does: a fresh process loads the
// handler module by file URL, then calls `handler(event, context)` with an API Gateway (v2 HTTP
// API) event and a context object; the JSON response goes to stdout, timings to stderr.
// Usage: node lambda-invoke.mjs <handler.mjs> <query-string>
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [file, rawQuery = ''] = process.argv.slice(2);
const started = performance.now();
const mod = await import(pathToFileURL(file).href);
const loadedMs = performance.now() - started;
if (typeof mod.handler !== 'function') throw new Error(`${file} does not export a handler function`);

const query = Object.fromEntries(new URLSearchParams(rawQuery));
const requestId = randomUUID();
const event = {
  version: '2.0',
  routeKey: 'GET /clip',
  rawPath: '/clip',
  rawQueryString: rawQuery,
  queryStringParameters: Object.keys(query).length ? query : undefined,
  headers: { accept: 'video/mp4', host: 'example.execute-api.us-east-1.amazonaws.com' },
  requestContext: { http: { method: 'GET', path: '/clip', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' }, requestId, stage: '$default' },
  isBase64Encoded: false,
};
const deadline = Date.now() + 30_000;
const context = {
  awsRequestId: requestId,
  functionName: 'mp4forge-clip',
  functionVersion: '$LATEST',
  memoryLimitInMB: '1024',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const response = await mod.handler(event, context);
process.stderr.write(`${JSON.stringify({ loadMs: loadedMs, invokeMs: performance.now() - started - loadedMs })}\n`);
process.stdout.write(JSON.stringify(response));
