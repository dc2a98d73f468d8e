/**
 * `grid.map`: one call that runs a function over an iterable on the grid and yields its results in input
 * order (DCP's `compute.for`). It is a one-stage flow whose source is fed from code with `index`: every
 * result comes back tagged with its input's position, and results are held here until those before them came.
 */
import { GridUsageError } from './errors.js'
import type { CodeSource } from './code-sources.js'
import type { FlowObject } from './flow-input.js'
import type { GridRun } from './grid-run.js'
import type { GridRunOptions } from './grid.js'

/** The function to map: a module (its path or bytes) and the export to call, as in flow.json. */
export interface MapFunction {
  /** The WebAssembly module: a path (relative to `dir` or the current directory) or its bytes. */
  readonly wasm?: string | Uint8Array
  /** A JavaScript function file instead of `wasm` (flow.json's `js`). */
  readonly js?: string
  /** The exported function (default: the flow.json default). */
  readonly export?: string
  /** flow.json's `abi` and `io` for WASI commands. */
  readonly abi?: string
  readonly io?: string
}

export interface MapOptions {
  /** Stops the map (the loop then throws RunCancelledError). */
  readonly signal?: AbortSignal
  /** Weight in the fair share of workers among the runs going on (1–100, default 1). */
  readonly priority?: number
  /** A call running longer fails this attempt (flow.json's `timeoutMs`). */
  readonly timeoutMs?: number
  /** Attempts after the first before the map fails (flow.json's `retries`). */
  readonly retries?: number
  /** The folder a module path resolves against (default: the current directory). */
  readonly dir?: string
}

/** What runs a flow: Grid.run, taken as a function so this module needs no Grid. */
type Runner = (flow: FlowObject, options: GridRunOptions) => Promise<GridRun>

/**
 * Yields the results of `fn` over `inputs` in input order, as they complete. The function should emit one
 * value per input: an input whose call emits nothing holds back the results after it until the end (all of an
 * input's values come together). Leaving the loop early cancels the run; a failed call throws RunFailedError.
 */
export async function * mapOnGrid (run: Runner, fn: MapFunction, inputs: CodeSource, options: MapOptions = {}): AsyncGenerator<unknown, void, undefined> {
  if (fn == null || (fn.wasm == null && fn.js == null)) throw new GridUsageError('grid.map: the function needs `wasm` (a path or the module\'s bytes) or `js` (a path), e.g. { wasm: "fn.wasm", export: "double" }')
  const stage: Record<string, unknown> = { function: 'fn', input: 'inputs' }
  if (options.timeoutMs != null) stage.timeoutMs = options.timeoutMs
  if (options.retries != null) stage.retries = options.retries
  const started = await run({
    name: 'map',
    functions: { fn: { ...fn } },
    sources: { inputs: { type: 'client', index: true } },
    stages: { apply: stage },
    sinks: { results: { type: 'stdout', input: 'apply' } }
  }, {
    ...(options.signal != null ? { signal: options.signal } : {}),
    ...(options.priority != null ? { priority: options.priority } : {}),
    ...(options.dir != null ? { dir: options.dir } : {}),
    sources: { inputs }
  })
  const waiting = new Map<number, unknown[]>()
  let next = 0
  for await (const { value, tag } of started.tagged('results')) {
    const at = Number(tag)
    if (at < next) {
      yield value // another value of the input just given (a job's values come together)
    } else if (at === next) {
      yield value
      // the next input's values may have come already
      for (let held = waiting.get(++next); held != null; held = waiting.get(++next)) {
        waiting.delete(next)
        yield * held
      }
    } else {
      const held = waiting.get(at)
      if (held != null) held.push(value)
      else waiting.set(at, [value])
    }
  }
  await started.done
  for (const at of [...waiting.keys()].sort((a, b) => a - b)) yield * waiting.get(at)!
}
