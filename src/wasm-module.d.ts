// `import m from './x.wasm?module'`: a WebAssembly.Module compiled by the platform (wrangler's
// CompiledWasm rule, Next.js edge `?module` imports). Only src/index.workerd.ts uses it.
declare module '*.wasm?module' {
  const module: WebAssembly.Module;
  export default module;
}
