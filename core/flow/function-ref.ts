/** The job-side reference to a flow's function: what an executor needs to call it, nothing more. */
import type { FunctionRef } from '../jobs.js'
import type { FunctionSpec } from './model.js'

/** `hash`: the module's content hash (load-modules.ts). WASI commands carry their io mode, JS functions `js`. */
export function functionRef (fn: FunctionSpec, hash: string): FunctionRef {
  if (fn.abi === 'wasi') return { module: hash, export: fn.export, wasi: fn.io }
  if (fn.abi === 'js') return { module: hash, export: fn.export, js: true }
  return { module: hash, export: fn.export }
}
