/**
 * Appends each item as one JSON line to `<path>.partial` (output-file.ts), renamed over `path` when the run
 * succeeds: a failed or interrupted run leaves the previous `path` as it was. A new run starts the partial
 * file afresh; a resumed run cuts it back to the size the journal recorded (dropping lines written after the
 * last journaled write) and continues it. An item from a cluster member is written as
 * `{"member": "worker/0", "value": …}`.
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { decodeValue } from '../../core/codec.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import { intJson, jsonlOfBlocks, toJsonLine } from './format.js'
import { OutputFile } from './output-file.js'

export async function jsonlSink (name: string, path: string, resume?: { readonly position: number }): Promise<SinkWriter> {
  const file = await OutputFile.prepare(path, name)
  let position = 0
  if (resume != null && resume.position > 0) {
    await file.cutBack(resume.position)
    position = resume.position
  }
  const stream = createWriteStream(file.partial, { flags: position > 0 ? 'a' : 'w' })
  await once(stream, 'open')
  // a failed write (disk full, …) fails that write and every later one; the run reports it, never crashes
  let failed: Error | undefined
  stream.on('error', err => { failed ??= err })
  // resolves once the text is in the file (not just buffered): the journal may then say it was written
  const append = async (text: string | Buffer): Promise<void> => {
    await new Promise<void>((resolve, reject) => stream.write(text, err => err != null ? reject(err) : resolve()))
    position += typeof text === 'string' ? Buffer.byteLength(text) : text.length
  }
  return {
    keepsWrites: true,
    position: () => position,
    async write (items, tags) {
      if (failed != null) throw failed
      let text = ''
      for (let i = 0; i < items.length; i++) {
        const tag = tags?.[i]
        const int = tag == null ? intJson(items[i]) : undefined
        if (int !== undefined) {
          text += `${int}\n`
          continue
        }
        const value = decodeValue(items[i])
        text += `${toJsonLine(tag != null ? { member: tag, value } : value)}\n`
      }
      await append(text)
    },
    async writeBlocks (blocks) {
      if (failed != null) throw failed
      await append(jsonlOfBlocks(blocks))
    },
    async close () {
      if (failed != null) return // the stream is already closed, and the failure reported by `write`
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => err != null ? reject(err) : resolve()))
    },
    async commit () {
      await file.publish()
    }
  }
}
