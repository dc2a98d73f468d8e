/**
 * Where the self-contained worker bundle is: dist/bundle/grid-worker.mjs, built by `npm run build:bundle`
 * (part of `npm install`). One file holding grid-worker and its dependencies: copied alone to any machine
 * with Node ≥ 20, `node grid-worker.mjs [grid-worker options]` runs a worker there.
 */
import { fileURLToPath } from 'node:url'

/** The bundle's file name, also its path on the coordinator's `--http` server (`/grid-worker.mjs`). */
export const WORKER_BUNDLE_NAME = 'grid-worker.mjs'

/** Absolute path of the bundle (from this module, compiled to dist/node-peer/bundle/). It may not be built yet: check before reading. */
export const workerBundlePath = fileURLToPath(new URL(`../../bundle/${WORKER_BUNDLE_NAME}`, import.meta.url))
