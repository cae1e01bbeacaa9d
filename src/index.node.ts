/**
 * mp4forge for Node, Bun and Deno (the `import` / `require` conditions): everything in the shared
 * entry, plus file paths as outputs and MP3 inputs, Node streams and the faststart spool file.
 * Node-only exports (anything that imports `fs`, `worker_threads`, …) belong here, never in index.ts.
 * @packageDocumentation
 */
export * from './index.js';
