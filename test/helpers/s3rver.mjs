// Runs s3rver (a local S3-compatible server, pure JavaScript) for the tests: argv is the data
// directory and the bucket to create; prints {"port": N} once listening, exits on SIGTERM.
// Started by s3.ts as a child process with --openssl-legacy-provider: s3rver 3.7.1 makes the
// continuation tokens of ListObjectsV2 with DES, which OpenSSL 3 (Node ≥ 17) keeps only there.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => process.exit(0));
