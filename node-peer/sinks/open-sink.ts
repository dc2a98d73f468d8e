import type { SinkSpec } from '../../core/flow/model.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import type { Terminal } from '../cli/terminal.js'
import { jsonlSink } from './jsonl-sink.js'
import { pngSink } from './png-sink.js'
import { stdoutSink } from './stdout-sink.js'

/**
 * `resume`: continue the sink of an interrupted run (see SinkOpener). File sinks write `<path>.partial` and
 * replace `path` with it only when the run succeeds (output-file.ts).
 */
export async function openSink (spec: SinkSpec, terminal: Terminal, resume?: { readonly position: number }): Promise<SinkWriter> {
  switch (spec.kind) {
    case 'stdout': return stdoutSink(spec.name, terminal)
    case 'jsonl': return await jsonlSink(spec.name, spec.path, resume)
    case 'png': return await pngSink(spec)
  }
}
