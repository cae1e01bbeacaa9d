// `mp4forge queue worker|submit|status`: the command-line specs only. The commands themselves
// (queue.ts) import bullmq and ioredis, optional peer dependencies, so main.ts loads them only
// when a queue command runs.
import type { CommandSpec, OptionSpec } from '../args.js';
import { OUTPUT_OPTIONS } from '../session.js';

const REDIS: OptionSpec = {
  name: 'redis', kind: { type: 'string' }, metavar: 'URL', required: true,
  help: 'Redis, e.g. redis://127.0.0.1:6379 (rediss:// for TLS).',
};
const QUEUE: OptionSpec = {
  name: 'queue', kind: { type: 'string' }, metavar: 'NAME', defaultText: 'render',
  help: 'The queue name (workers and submitters must agree).',
};
const TIMEOUT: OptionSpec = {
  name: 'connect-timeout', kind: { type: 'int', min: 100 }, metavar: 'MS', defaultText: '5000',
  help: 'Give up reaching Redis after this long.',
};
const JSON_OPT: OptionSpec = { name: 'json', kind: { type: 'flag' }, help: 'Machine-readable output on stdout (one JSON object per line).' };
const STORE: OptionSpec = {
  name: 'store', kind: { type: 'string' }, metavar: 'DIR|s3://BUCKET/PREFIX', required: true,
  help:
    'The segment store: a directory every worker can reach (shared disk, NFS), or an S3 bucket (needs @aws-sdk/client-s3, ' +
    'configured as the AWS SDK is: AWS_REGION, credentials, AWS_ENDPOINT_URL for an S3-compatible server).',
};

const ENCODER = new Set(['qp', 'kbps', 'speed', 'gop', 'layout', 'audio', 'audio-length']);

export const queueWorkerSpec: CommandSpec = {
  name: 'queue worker',
  summary: 'Render segments and stitch renders from the queue until SIGTERM/SIGINT; then hand back the segment in progress (or finish a stitch) and exit 0.',
  usage: '--redis URL --store DIR|s3://BUCKET/PREFIX [--concurrency N] [options]',
  options: [
    REDIS,
    STORE,
    {
      name: 'concurrency', kind: { type: 'int', min: 1 }, metavar: 'N', defaultText: '1',
      help: 'Jobs at once in this process (encoding is single-threaded: run one worker per core instead).',
    },
    {
      name: 'lock-ms', kind: { type: 'int', min: 1000 }, metavar: 'MS', defaultText: '30000',
      help: "A dead worker's job goes back to the queue after about this long.",
    },
    QUEUE,
    TIMEOUT,
    JSON_OPT,
  ],
  epilog:
    'Examples:\n  mp4forge queue worker --redis redis://127.0.0.1:6379 --store /mnt/parts\n' +
    '  AWS_REGION=eu-west-1 mp4forge queue worker --redis redis://127.0.0.1:6379 --store s3://my-bucket/render-parts',
};

export const queueSubmitSpec: CommandSpec = {
  name: 'queue submit',
  summary:
    'Put a render on the queue as N segment jobs and one stitch job; print its id (the same job submitted again gets the same id and is not rendered twice). With --wait, follow it and print the result; exit 1 with the error code if it fails.',
  usage: '--redis URL --segments N --out FILE [--pattern NAME | --scene FILE] [--width W --height H --fps R --frames N] [options] [--wait]',
  options: [
    REDIS,
    { name: 'segments', kind: { type: 'int', min: 1 }, metavar: 'N', help: 'Segment jobs to split the video into.', required: true },
    { name: 'width', kind: { type: 'int' }, metavar: 'W', help: 'Frame width in pixels (even).', defaultText: '1280' },
    { name: 'height', kind: { type: 'int' }, metavar: 'H', help: 'Frame height in pixels (even).', defaultText: '720' },
    { name: 'fps', kind: { type: 'string' }, metavar: 'R', help: 'Frame rate: 30, or a fraction like 30000/1001.', defaultText: '30' },
    { name: 'frames', kind: { type: 'int', min: 1 }, metavar: 'N', help: 'Number of frames.', defaultText: '300' },
    {
      name: 'pattern', kind: { type: 'choice', choices: ['bars', 'noise', 'gradient', 'plasma', 'solid'] }, metavar: 'NAME', defaultText: 'bars',
      help: 'What to draw.',
    },
    {
      name: 'scene', kind: { type: 'string' }, metavar: 'FILE|URL',
      help: 'An ES module exporting draw(frameIndex, rgba, width, height), at a path (or file:/https: URL) every worker can import.',
    },
    ...OUTPUT_OPTIONS.filter((o) => o.name === 'out').map((o) => ({ ...o, help: 'The final MP4, at a path the workers can write (shared disk).' })),
    ...OUTPUT_OPTIONS.filter((o) => ENCODER.has(o.name)),
    { name: 'wait', kind: { type: 'flag' }, help: 'Follow the render (progress on a terminal) and print the result.' },
    { name: 'attempts', kind: { type: 'int', min: 1 }, metavar: 'N', help: 'Tries per segment or stitch job before the render fails.', defaultText: '3' },
    {
      name: 'keep', kind: { type: 'int', min: 1 }, metavar: 'SECONDS', defaultText: '604800 (7 days)',
      help: 'How long Redis remembers the outcome (status; no second render).',
    },
    {
      name: 'store', kind: { type: 'string' }, metavar: 'DIR|s3://BUCKET/PREFIX',
      help: "The workers' segment store (as for queue worker): parts an earlier failed run of the same job left there are removed first.",
    },
    QUEUE,
    TIMEOUT,
    JSON_OPT,
  ],
  epilog:
    'Example:\n  mp4forge queue submit --redis redis://127.0.0.1:6379 --segments 6 --pattern plasma --frames 600 --audio /mnt/song.mp3 --out /mnt/out.mp4 --wait',
};

export const queueStatusSpec: CommandSpec = {
  name: 'queue status',
  summary: 'Print the state of a render: rendering (segments done / all), stitching, completed (with the file) or failed (with the error code).',
  usage: '--redis URL JOB [--json]',
  options: [REDIS, QUEUE, TIMEOUT, JSON_OPT],
  positionals: [{ name: 'JOB', help: 'The id printed by mp4forge queue submit (mp4f-…).' }],
};

export const QUEUE_SUBCOMMANDS: Record<string, CommandSpec> = { worker: queueWorkerSpec, submit: queueSubmitSpec, status: queueStatusSpec };

export const queueSpec: CommandSpec = {
  name: 'queue',
  summary: 'Distributed rendering on BullMQ and Redis: queue worker, queue submit, queue status (needs the bullmq and ioredis packages).',
  usage: 'worker|submit|status [options]   (mp4forge queue <subcommand> --help)',
  options: [],
  epilog: [
    'Subcommands:',
    '  worker   Render segments and stitch renders from the queue until SIGTERM.',
    '  submit   Put a render on the queue; --wait to follow it.',
    '  status   Print the state of a render.',
    '',
    'Example:',
    '  mp4forge queue worker --redis redis://127.0.0.1:6379 --store /mnt/parts &',
    '  mp4forge queue submit --redis redis://127.0.0.1:6379 --segments 4 --frames 1200 --out /mnt/out.mp4 --wait',
  ].join('\n'),
};
