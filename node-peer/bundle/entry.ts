/**
 * The entry of the self-contained worker bundle (dist/bundle/grid-worker.mjs, built by vite.bundle.config.ts):
 * `node grid-worker.mjs [options]` is `grid-worker [options]`. The bundle is also its own thread script: the
 * ThreadPool starts it as a worker thread with THREAD_MARKER as `workerData`, and then it runs the sandbox
 * loop instead of the CLI. One file to upload, nothing to unpack, and the thread code is the very code the
 * tests ran (a second inlined copy, e.g. as a data: URL, would double the file for nothing).
 * Both branches are dynamic imports so that a thread evaluates only what the sandbox needs.
 */
import { isMainThread, workerData } from 'node:worker_threads'
import { nodeTooOld } from './node-version.js'

/** `workerData` of the bundle's own threads. */
const THREAD_MARKER = 'edge-grid:worker-bundle:thread'

const tooOld = nodeTooOld(process.versions.node)
if (tooOld != null) {
  process.stderr.write(`${tooOld}\n`)
  process.exit(2)
} else if (!isMainThread && workerData === THREAD_MARKER) {
  await import('../executor/thread.js')
} else {
  const { useThreadScript } = await import('../executor/thread-script.js')
  useThreadScript({ url: new URL(import.meta.url), workerData: THREAD_MARKER })
  const { main } = await import('../cli/worker.js')
  process.exitCode = await main(process.argv.slice(2))
}
