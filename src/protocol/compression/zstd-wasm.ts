/**
 * zstd through WebAssembly (`@bokuweb/zstd-wasm`, the reference libzstd compiled by Emscripten), for
 * runtimes whose node:zlib lacks zstd (Node < 22.15 / 23.8).
 *
 * The package's own `init()` is asynchronous; our codecs are synchronous (see codec.ts), so we load
 * its Emscripten module and hand it the instance through Emscripten's `instantiateWasm` hook with
 * `new WebAssembly.Instance` (synchronous compilation is allowed in Node at any size). The package
 * only exports its high-level functions, so this reaches into its dist files by path: the version is
 * pinned exactly in package.json, and a load failure just means "no WASM zstd" to the caller.
 *
 * It is loaded on first use, never at import.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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
  /** Size of the WASM memory: it grows to fit the largest call so far and never shrinks. */
  heapBytes(): number;
}

let loaded: ZstdWasm | null | undefined;
let loadError: unknown;

/** The WASM zstd, or null if it cannot load here (then {@link zstdWasmLoadError} says why). */
export function loadZstdWasm(): ZstdWasm | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@bokuweb/zstd-wasm'));
    const M = require(join(dir, 'module.js')).Module as EmscriptenModule;
    if (!M.calledRun) {
      const bytes = readFileSync(join(dir, 'zstd.wasm'));
      const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
      if (wasm === undefined) throw new Error('WebAssembly is not available (--jitless?)');
      M.instantiateWasm = (imports, receive) => {
        const instance = new wasm.Instance(new wasm.Module(bytes), imports);
        receive(instance);
        return instance.exports;
      };
      M.init();
    }
    if (!M.calledRun) throw new Error('the Emscripten runtime did not start synchronously');
    loaded = wrap(M);
  } catch (err) {
    loadError = err;
  }
  return loaded;
}

export function zstdWasmLoadError(): unknown {
  return loadError;
}

/** Bytes of WASM memory the zstd module holds (0 when it is not loaded): for tests and diagnostics. */
export function zstdWasmHeapBytes(): number {
  return loaded ? loaded.heapBytes() : 0;
}

function wrap(M: EmscriptenModule): ZstdWasm {
  /** Copies `data` into the WASM heap; the caller frees. */
  function put(data: Uint8Array): number {
    const ptr = M._malloc(Math.max(1, data.length));
    if (ptr === 0) throw new Error(`zstd wasm: cannot allocate ${data.length} bytes`);
    M.HEAPU8.set(data, ptr); // read HEAPU8 after malloc: a heap growth replaces the view
    return ptr;
  }
  function take(ptr: number, n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    out.set(M.HEAPU8.subarray(ptr, ptr + n));
    return out;
  }
  return {
    heapBytes: () => M.HEAPU8.length,
    compress(data, level) {
      const src = put(data);
      const cap = M._ZSTD_compressBound(data.length);
      const dst = M._malloc(cap);
      try {
        if (dst === 0) throw new Error(`zstd wasm: cannot allocate ${cap} bytes`);
        const n = M._ZSTD_compress(dst, cap, src, data.length, level);
        if (M._ZSTD_isError(n)) throw new Error(`ZSTD_compress failed (${n})`);
        return take(dst, n);
      } finally {
        M._free(src);
        M._free(dst);
      }
    },
    decompress(data, capacity) {
      const src = put(data);
      const dst = M._malloc(Math.max(1, capacity));
      try {
        if (dst === 0) throw new Error(`zstd wasm: cannot allocate ${capacity} bytes`);
        const n = M._ZSTD_decompress(dst, capacity, src, data.length);
        if (M._ZSTD_isError(n)) {
          // size_t errors are -errorCode; 70 is ZSTD_error_dstSize_tooSmall.
          if (n >>> 0 === 0x100000000 - 70) return null;
          throw new Error(`ZSTD_decompress failed (error ${0x100000000 - (n >>> 0)})`);
        }
        return take(dst, n);
      } finally {
        M._free(src);
        M._free(dst);
      }
    },
  };
}
