// The WASM encoders' linear memories are outside V8's heap and ArrayBuffer accounting. These hooks
// capture each one so that a bench can report their total: the memories h264-mp4-encoder creates
// with `new WebAssembly.Memory`, and the one mp4forge's own encoder defines in its module and
// exports, taken from each instance. Memories of instances that were collected drop out. Install
// before the library creates any encoder.

const NativeMemory = WebAssembly.Memory;
const live = new Set();
const seen = new WeakSet();
const registry = new FinalizationRegistry((ref) => live.delete(ref));

function track(m) {
  if (!(m instanceof NativeMemory) || seen.has(m)) return;
  seen.add(m);
  const ref = new WeakRef(m);
  live.add(ref);
  registry.register(m, ref);
}

let installed = false;

/** Installs the hooks (once); returns a function that gives the bytes of every live captured memory. */
export function trackWasmMemories() {
  if (!installed) {
    installed = true;
    WebAssembly.Memory = function Memory(descriptor) {
      const m = new NativeMemory(descriptor);
      track(m);
      return m;
    };
    WebAssembly.Memory.prototype = NativeMemory.prototype;
    const NativeInstance = WebAssembly.Instance;
    WebAssembly.Instance = function Instance(module, imports) {
      const instance = new NativeInstance(module, imports);
      track(instance.exports.memory);
      return instance;
    };
    WebAssembly.Instance.prototype = NativeInstance.prototype;
    const nativeInstantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = async function instantiate(source, imports) {
      const r = await nativeInstantiate.call(WebAssembly, source, imports);
      track((r.instance ?? r).exports?.memory);
      return r;
    };
  }
  return () => {
    let bytes = 0;
    for (const ref of live) bytes += ref.deref()?.buffer.byteLength ?? 0;
    return bytes;
  };
}
