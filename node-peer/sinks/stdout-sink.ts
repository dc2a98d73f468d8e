/** Prints each item as `[sink] value`, like Hydro Deploy's per-service logs. */
import { decodeValue } from '../../core/codec.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import type { Terminal } from '../cli/terminal.js'
import { toText } from './format.js'

export function stdoutSink (name: string, terminal: Terminal): SinkWriter {
  const prefix = `[${name}] `
  return {
    async write (items) {
      let text = ''
      for (const item of items) text += `${prefix}${toText(decodeValue(item))}\n`
      await terminal.write(text)
    },
    async close () {}
  }
}
