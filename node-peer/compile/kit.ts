/**
 * Where the AssemblyScript kit is and the name sources import it by. grid-build (and the examples build)
 * resolve `edge-grid/kit` to the kit's folder themselves, so a function compiles from any folder, inside the
 * repository or not, without a package install or a relative path to the repository.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The import path of the kit in AssemblyScript sources: `import { inputInt } from "edge-grid/kit"`. */
export const KIT_IMPORT = 'edge-grid/kit'

/** The repository root (this file runs as dist/node-peer/compile/kit.js). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** The kit's source folder (AssemblyScript, not compiled by tsc): core/abi/assemblyscript. */
export const KIT_DIR = join(REPO_ROOT, 'core', 'abi', 'assemblyscript')
