/**
 * zstd through WebAssembly (`@bokuweb/zstd-wasm`, the reference libzstd compiled by Emscripten), for
 * runtimes whose node:zlib lacks zstd (Node < 22.15 / 23.8).
 *
 * The package's own `init()` is asynchronous; our codecs are synchronous (see codec.ts), so we run
 * its Emscripten glue and hand it the instance through Emscripten's `instantiateWasm` hook with
 * `new WebAssembly.Instance` (synchronous compilation is allowed in Node at any size). The package
 * only exports its high-level functions, so this reaches into its dist files by path: the version is
 * pinned exactly in package.json, and a load failure just means "no WASM zstd" to the caller.
 *
 * WebAssembly memory grows and never shrinks: one batch that needed 60 MiB (or a decompression bomb
 * that made us try) would keep 60 MiB resident for the life of the process. So a call that grows the
 * heap past its initial 16 MiB retires its runtime afterwards (the output is copied out first), and
 * the next call starts a fresh one: the garbage collector frees the old memory, and what stays
 * resident is never more than the initial heap. Each runtime needs its own Emscripten state, which
 * `require` would share (it caches the glue module), so the glue is compiled once with
 * `vm.compileFunction`, as Node's CommonJS loader does, and run once per runtime (about 1 ms).
 *
 * It is loaded on first use, never at import.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compileFunction } from 'node:vm';
import { CompressionError } from './codec.js';

// The tsconfig's lib has no WebAssembly declarations (they live in lib.dom); the little we use:
interface WasmInstance {
  exports: unknown;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: unknown) => WasmInstance;
}

interface EmscriptenModule {
  instantiateWasm?: (imports: unknown, receive: (instance: WasmInstance) => unknown) => unknown;
  init(bytes?: Uint8Array): void;
  calledRun?: boolean;
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(ptr: number): void;
  _ZSTD_isError(code: number): number;
  _ZSTD_compressBound(n: number): number;
  _ZSTD_compress(dst: number, cap: number, src: number, n: number, level: number): number;
  _ZSTD_decompress(dst: number, cap: number, src: number, n: number): number;
}

export interface ZstdWasm {
  compress(data: Uint8Array, level: number): Buffer;
  /** Decompresses into exactly `capacity` bytes at most; returns null if they did not suffice. */
  decompress(data: Uint8Array, capacity: number): Buffer | null;
  /** WASM memory held now: the initial heap, or 0 between a retired runtime and the next call. */
  heapBytes(): number;
}

let loaded: ZstdWasm | null | undefined;
let loadError: unknown;

/** The WASM zstd, or null if it cannot load here (then {@link zstdWasmLoadError} says why). */
export function loadZstdWasm(): ZstdWasm | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    const start = runtimeFactory();
    loaded = wrap(start, start());
  } catch (err) {
    loadError = err;
  }
  return loaded;
}

/** Compiles the WASM module and the Emscripten glue once; each call of the result starts a runtime. */
function runtimeFactory(): () => EmscriptenModule {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@bokuweb/zstd-wasm'));
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) throw new Error('WebAssembly is not available (--jitless?)');
  const compiled = new wasm.Module(readFileSync(join(dir, 'zstd.wasm')));
  const file = join(dir, 'zstd.js');
  const glue = compileFunction(
    readFileSync(file, 'utf8'),
    ['exports', 'require', 'module', '__filename', '__dirname'],
    {
      filename: file,
    },
  );
  return () => {
    const module = { exports: {} as { Module?: EmscriptenModule } };
    glue(module.exports, require, module, file, dir);
    const M = module.exports.Module;
    if (M === undefined) throw new Error('the Emscripten glue exported no Module');
    M.instantiateWasm = (imports, receive) => {
      const instance = new wasm.Instance(compiled, imports);
      receive(instance);
      return instance.exports;
    };
    M.init();
    if (!M.calledRun) throw new Error('the Emscripten runtime did not start synchronously');
    return M;
  };
}

export function zstdWasmLoadError(): unknown {
  return loadError;
}

/** Bytes of WASM memory the zstd module holds (0 when it is not loaded): for tests and diagnostics. */
export function zstdWasmHeapBytes(): number {
  return loaded ? loaded.heapBytes() : 0;
}

function wrap(start: () => EmscriptenModule, first: EmscriptenModule): ZstdWasm {
  const initialHeap = first.HEAPU8.length;
  let current: EmscriptenModule | null = first;
  /** Runs `call` on the current runtime (started if need be), and retires it if its heap grew. */
  function run<T>(call: (M: EmscriptenModule) => T): T {
    const M = current ?? start();
    current = M;
    try {
      return call(M);
    } finally {
      if (M.HEAPU8.length > initialHeap) current = null;
    }
  }
  /** Copies `data` into the WASM heap; the caller frees. */
  function put(M: EmscriptenModule, data: Uint8Array): number {
    const ptr = M._malloc(Math.max(1, data.length));
    if (ptr === 0) throw new CompressionError('zstd', `WASM: cannot allocate ${data.length} bytes`);
    M.HEAPU8.set(data, ptr); // read HEAPU8 after malloc: a heap growth replaces the view
    return ptr;
  }
  function take(M: EmscriptenModule, ptr: number, n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    out.set(M.HEAPU8.subarray(ptr, ptr + n));
    return out;
  }
  return {
    heapBytes: () => (current === null ? 0 : current.HEAPU8.length),
    compress: (data, level) =>
      run((M) => {
        const src = put(M, data);
        const cap = M._ZSTD_compressBound(data.length);
        const dst = M._malloc(cap);
        try {
          if (dst === 0) throw new CompressionError('zstd', `WASM: cannot allocate ${cap} bytes`);
          const n = M._ZSTD_compress(dst, cap, src, data.length, level);
          if (M._ZSTD_isError(n)) throw new CompressionError('zstd', `ZSTD_compress failed (${n})`);
          return take(M, dst, n);
        } finally {
          M._free(src);
          M._free(dst);
        }
      }),
    decompress: (data, capacity) =>
      run((M) => {
        const src = put(M, data);
        const dst = M._malloc(Math.max(1, capacity));
        try {
          if (dst === 0) throw new CompressionError('zstd', `WASM: cannot allocate ${capacity} bytes`);
          const n = M._ZSTD_decompress(dst, capacity, src, data.length);
          if (M._ZSTD_isError(n)) {
            // size_t errors are -errorCode; 70 is ZSTD_error_dstSize_tooSmall.
            if (n >>> 0 === 0x100000000 - 70) return null;
            throw new CompressionError('zstd', `ZSTD_decompress failed (error ${0x100000000 - (n >>> 0)})`);
          }
          return take(M, dst, n);
        } finally {
          M._free(src);
          M._free(dst);
        }
      }),
  };
}
