/**
 * edge-grid from code: run flows on a grid from a TypeScript/JavaScript program.
 *
 *   import { startGrid } from 'edge-grid'
 *   const grid = await startGrid({ workers: 2 })            // or: await connect(address, { submitSecret })
 *   const run = await grid.run('flow.json', { signal })
 *   for await (const item of run.results('out')) console.log(item)
 *   console.log((await run.done).jobsDone)
 *   await grid.stop()
 *
 * @packageDocumentation
 */
export { connect, Grid } from './grid.js'
export type { ConnectOptions, GridRunOptions } from './grid.js'
export { startGrid } from './start-grid.js'
export type { LocalGrid, StartGridOptions } from './start-grid.js'
export { GridRun } from './grid-run.js'
export type { GridRunEvents, RunProgress } from './grid-run.js'
export type { FlowFunction, FlowInput, FlowObject } from './flow-input.js'
export type { CodeSource } from './code-sources.js'
export type { MapFunction, MapOptions } from './map.js'
export { GridUsageError, RunCancelledError, RunFailedError } from './errors.js'
export { FlowValidationError, GridError, JobFailedError, JobTimeoutError, ModuleRejectedError, WasmTrapError } from '../../core/errors.js'
export { GridUnreachableError, SubmitRefusedError } from '../client/grid-client.js'
export { SubmittedFlowInvalidError } from '../client/run-link.js'
export { SourceDataError } from '../sources.js'
export type { RunSummary } from '../../core/run/flow-run.js'
export type { RunListing } from '../../core/protocol/submit-messages.js'
