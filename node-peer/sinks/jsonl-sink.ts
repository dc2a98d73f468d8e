/**
 * Appends each item as one JSON line; the file is replaced at the start of a run. An item from a cluster
 * member is written as `{"member": "worker/0", "value": …}`.
 */
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { once } from 'node:events'
import { decodeValue } from '../../core/codec.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import { toJsonLine } from './format.js'

export async function jsonlSink (path: string): Promise<SinkWriter> {
  await mkdir(dirname(path), { recursive: true })
  const stream = createWriteStream(path)
  await once(stream, 'open')
  return {
    async write (items, tags) {
      let text = ''
      for (let i = 0; i < items.length; i++) {
        const value = decodeValue(items[i])
        const tag = tags?.[i]
        text += `${toJsonLine(tag != null ? { member: tag, value } : value)}\n`
      }
      if (!stream.write(text)) await once(stream, 'drain')
    },
    async close () {
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => err != null ? reject(err) : resolve()))
    }
  }
}
