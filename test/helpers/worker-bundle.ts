/** The self-contained worker bundle as a remote machine gets it: the one file, alone in a fresh folder. */
import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { WORKER_BUNDLE_NAME, workerBundlePath } from '../../node-peer/bundle/bundle-path.js'

/**
 * No node_modules in `dir` or any folder above it: nothing the bundle could load besides itself. (Node's
 * ESM resolution walks up the folders; `bundleEnv` also clears NODE_PATH for createRequire's.)
 */
export function assertNoNodeModulesAbove (dir: string): void {
  for (let d = dir, i = 0; i < 64; d = dirname(d), i++) {
    assert.ok(!existsSync(join(d, 'node_modules')), `${join(d, 'node_modules')} exists: the bundle would not be tested alone`)
    if (dirname(d) === d) return
  }
}

/** A fresh folder under the system temp folder (no node_modules above it) holding only an empty spot for the bundle. */
export async function emptyFolder (prefix: string): Promise<string> {
  assert.ok(existsSync(workerBundlePath), `the worker bundle is not built (${workerBundlePath}): run npm run build:bundle`)
  const dir = await mkdtemp(join(tmpdir(), prefix))
  assertNoNodeModulesAbove(dir)
  return dir
}

/**
 * A fresh folder with a copy of dist/bundle/grid-worker.mjs and nothing else. Its name has a space and a
 * non-ASCII letter, as folders on people's machines do: the bundle starts its threads from its own URL.
 */
export async function bundleAlone (): Promise<string> {
  const dir = join(await emptyFolder('edge-grid-bundle-'), 'my wörker')
  await mkdir(dir)
  await copyFile(workerBundlePath, join(dir, WORKER_BUNDLE_NAME))
  return dir
}

/** The environment a stranger's machine gives it: no NODE_PATH, HOME in `home` (so the module cache lands there). */
export function bundleEnv (home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home }
  delete env.NODE_PATH
  delete env.NODE_OPTIONS
  return env
}
