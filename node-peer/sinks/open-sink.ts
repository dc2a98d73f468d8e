import type { SinkSpec } from '../../core/flow/model.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import type { Terminal } from '../cli/terminal.js'
import { jsonlSink } from './jsonl-sink.js'
import { pngSink } from './png-sink.js'
import { stdoutSink } from './stdout-sink.js'

export async function openSink (spec: SinkSpec, terminal: Terminal): Promise<SinkWriter> {
  switch (spec.kind) {
    case 'stdout': return stdoutSink(spec.name, terminal)
    case 'jsonl': return await jsonlSink(spec.path)
    case 'png': return await pngSink(spec)
  }
}
