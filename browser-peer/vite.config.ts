/**
 * Builds the volunteer page (index.html), the grid dashboard (dashboard.html) and the executor test page (executor-suite.html) into
 * browser-peer/dist. Run from the repository root: `vite build --config browser-peer/vite.config.ts`.
 */
import { defineConfig } from 'vite'
import type { Plugin } from 'vite'
import { fileURLToPath } from 'node:url'
import { patchInitiateConnection, WEBRTC_PATCH_FILE } from './patches/webrtc-init-channel.js'

const root = fileURLToPath(new URL('.', import.meta.url))

/** Same headers as node-peer/http/page-server.ts: cross-origin isolation gives the pool SharedArrayBuffer. */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp'
}

function webrtcInitChannelPatch (): Plugin {
  let applied = false
  return {
    name: 'edge-grid:webrtc-init-channel',
    enforce: 'pre',
    transform (code, id) {
      if (!WEBRTC_PATCH_FILE.test(id.split('?')[0])) return null
      const result = patchInitiateConnection(code)
      if (!result.patched) {
        this.warn(`@libp2p/webrtc race patch NOT applied: ${result.reason}. Check whether upstream fixed it (browser-peer/patches/webrtc-init-channel.ts).`)
        return null
      }
      applied = true
      return { code: result.code, map: null }
    },
    buildEnd () {
      if (!applied) this.warn('@libp2p/webrtc race patch: initiate-connection.js was not seen in this build')
    }
  }
}

export default defineConfig({
  root,
  base: './',
  plugins: [webrtcInitChannelPatch()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        dashboard: fileURLToPath(new URL('dashboard.html', import.meta.url)),
        'executor-suite': fileURLToPath(new URL('executor-suite.html', import.meta.url))
      }
    }
  },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation }
})
