// A real S3-compatible server for the s3Store tests: s3rver 3.7.1 (npm, pure JavaScript) in a child
// process, on a free port, storing its objects under a directory of the caller's; one bucket.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** The S3Client options for that server: its endpoint, s3rver's fixed credentials, path-style addressing. */
  config: { endpoint: string; region: string; forcePathStyle: true; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** A client made with `config`. */
  client: S3Client;
  /** The environment that points the SDK's default chain at this server (for the CLI). */
  env: Record<string, string>;
  /** Every key in the bucket (under `prefix`), sorted. */
  keys(prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** The SDK warns on every Node < 22 that its releases after January 2027 will need Node 22. */
export const QUIET_SDK = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export async function startS3(directory: string, bucket = 'mp4forge-test'): Promise<S3Server> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', resolve('test/helpers/s3rver.mjs'), directory, bucket], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`s3rver did not start within 10 s: ${err}`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^(\{.*\})\n/.exec(out);
      if (!line) return;
      clearTimeout(timer);
      done((JSON.parse(line[1]) as { port: number }).port);
    });
    child.once('exit', (code) => fail(new Error(`s3rver exited (${code}) before listening: ${err}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  Object.assign(process.env, QUIET_SDK);
  const config = { endpoint, region: 'us-east-1', forcePathStyle: true as const, credentials };
  const client = new S3Client(config);
  return {
    endpoint,
    bucket,
    config,
    client,
    env: {
      ...QUIET_SDK,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async keys(prefix = '') {
      const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (r.Contents ?? []).map((o) => o.Key as string).sort();
    },
    async stop() {
      client.destroy();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
