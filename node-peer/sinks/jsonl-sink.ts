/** Appends each item as one JSON line; the file is replaced at the start of a run. */
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
    async write (items) {
      let text = ''
      for (const item of items) text += `${toJsonLine(decodeValue(item))}\n`
      if (!stream.write(text)) await once(stream, 'drain')
    },
    async close () {
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => err != null ? reject(err) : resolve()))
    }
  }
}
