/**
 * Builds the self-contained worker bundle: ONE ES module, dist/bundle/grid-worker.mjs, holding grid-worker and
 * every dependency, so that `node grid-worker.mjs --bootstrap …` runs on any machine with Node ≥ 20 and no
 * node_modules (grid-deploy uploads it over SSH; `grid-coordinator --http` serves it). Bundles the compiled
 * JavaScript in dist/ (what the tests run), so `npm run build:ts` comes first. Run from the repository root:
 * `vite build --config node-peer/bundle/vite.bundle.config.ts`.
 */
import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import type { Plugin } from 'vite'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const require = createRequire(`${repoRoot}package.json`)

/**
 * Loaded only when a worker is asked to be a WebRTC peer or a relay (the coordinator's side,
 * node-peer/net/node.ts), never by grid-worker; @libp2p/webrtc needs a native module (node-datachannel),
 * which a single .mjs cannot carry. Left as imports that would fail clearly ("Cannot find package") if reached.
 */
const NOT_IN_WORKER = ['@libp2p/webrtc', '@libp2p/circuit-relay-v2']

/**
 * msgpackr's optional native string extractor (a .node file found by node-gyp-build): msgpackr loads it
 * inside a try and falls back to its JavaScript decoder, which is what the bundle uses (same bytes, same values).
 */
const NATIVE_ONLY = 'msgpackr-extract'
const NATIVE_LEFT_OUT = '\0edge-grid:native-left-out'

function leaveOutNative (): Plugin {
  return {
    name: 'edge-grid:leave-out-native',
    enforce: 'pre',
    resolveId: source => source === NATIVE_ONLY ? NATIVE_LEFT_OUT : null,
    load: id => id === NATIVE_LEFT_OUT
      ? `throw new Error('${NATIVE_ONLY} is a native module, left out of the worker bundle (msgpackr uses its JavaScript decoder)')`
      : null
  }
}

const QUICKJS_VARIANT = '@jitl/quickjs-wasmfile-release-sync'
const QUICKJS_INLINED = '\0edge-grid:quickjs-inlined'

/**
 * The QuickJS engine of JS functions (core/abi/js/engine.ts) reads its .wasm from beside its own module;
 * in the bundle there is no such file, so the variant is given the bytes, inlined as base64 and decoded on
 * first use (a thread that never runs a JS function never decodes them).
 */
function inlineQuickJsWasm (): Plugin {
  return {
    name: 'edge-grid:inline-quickjs-wasm',
    enforce: 'pre',
    resolveId (source, importer) {
      if (source === QUICKJS_VARIANT && importer !== QUICKJS_INLINED) return QUICKJS_INLINED
      return null
    },
    load (id) {
      if (id !== QUICKJS_INLINED) return null
      const wasm = readFileSync(require.resolve(`${QUICKJS_VARIANT}/wasm`)).toString('base64')
      return [
        `import variant from '${QUICKJS_VARIANT}'`,
        "import { newVariant } from 'quickjs-emscripten-core'",
        `const WASM = '${wasm}'`,
        'export default newVariant(variant, {',
        '  wasmBinary: async () => { const b = Buffer.from(WASM, "base64"); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) }',
        '})'
      ].join('\n')
    }
  }
}

/**
 * The contract with grid-deploy and `--http`: exactly one file, no asset beside it (a stray `new URL(…,
 * import.meta.url)` or a split chunk would be a file the remote machine lacks). Then one line like the other
 * build steps print: what was built and how big.
 */
function oneFile (): Plugin {
  return {
    name: 'edge-grid:one-file',
    generateBundle (_options, bundle) {
      const files = Object.keys(bundle)
      if (files.length !== 1 || files[0] !== 'grid-worker.mjs') this.error(`the worker bundle must be one file, grid-worker.mjs; the build made ${files.join(', ')}`)
    },
    writeBundle (options, bundle) {
      for (const name of Object.keys(bundle)) {
        const path = `${options.dir ?? ''}/${name}`
        console.log(`built ${path.slice(repoRoot.length)} (${(statSync(path).size / 1024 / 1024).toFixed(1)} MiB)`)
      }
    }
  }
}

export default defineConfig({
  root: repoRoot,
  logLevel: 'warn',
  publicDir: false,
  plugins: [inlineQuickJsWasm(), leaveOutNative(), oneFile()],
  ssr: {
    target: 'node',
    noExternal: true,
    external: NOT_IN_WORKER
  },
  build: {
    ssr: `${repoRoot}dist/node-peer/bundle/entry.js`,
    outDir: `${repoRoot}dist/bundle`,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    rolldownOptions: {
      external: NOT_IN_WORKER,
      output: {
        format: 'es',
        entryFileNames: 'grid-worker.mjs',
        codeSplitting: false
      }
    }
  }
})
