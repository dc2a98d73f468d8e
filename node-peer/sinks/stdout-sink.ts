/**
 * Prints each item as `[sink] value`, like Hydro Deploy's per-service logs. An item that comes from a
 * cluster member (a pinned stage's output, or derived from one) is printed as `[worker/0] value` instead.
 */
import { decodeValue } from '../../core/codec.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import type { Terminal } from '../cli/terminal.js'
import { toText } from './format.js'

export function stdoutSink (name: string, terminal: Terminal): SinkWriter {
  const prefix = `[${name}] `
  return {
    keepsWrites: true,
    async write (items, tags) {
      let text = ''
      for (let i = 0; i < items.length; i++) {
        const tag = tags?.[i]
        text += `${tag != null ? `[${tag}] ` : prefix}${toText(decodeValue(items[i]))}\n`
      }
      await terminal.write(text)
    },
    async close () {}
  }
}
