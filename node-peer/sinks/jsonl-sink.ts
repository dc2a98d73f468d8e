/**
 * Appends each item as one JSON line; the file is replaced at the start of a run, or, when a run resumes,
 * cut back to the size the journal recorded (dropping lines written after the last journaled write) and
 * continued. An item from a cluster member is written as `{"member": "worker/0", "value": …}`.
 */
import { createWriteStream } from 'node:fs'
import { mkdir, stat, truncate } from 'node:fs/promises'
import { dirname } from 'node:path'
import { once } from 'node:events'
import { decodeValue } from '../../core/codec.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import { JournalError } from '../../core/run/journal.js'
import { toJsonLine } from './format.js'

export async function jsonlSink (path: string, resume?: { readonly position: number }): Promise<SinkWriter> {
  await mkdir(dirname(path), { recursive: true })
  let position = 0
  if (resume != null && resume.position > 0) {
    const size = await stat(path).then(s => s.size, () => -1)
    if (size < resume.position) {
      throw new JournalError(`${path} has ${size < 0 ? 'gone' : `${size} bytes, fewer than the ${resume.position} the journal recorded`}: it was changed after the run stopped, so resuming would lose items; start over with --fresh`)
    }
    await truncate(path, resume.position)
    position = resume.position
  }
  const stream = createWriteStream(path, { flags: position > 0 ? 'a' : 'w' })
  await once(stream, 'open')
  // a failed write (disk full, …) fails that write and every later one; the run reports it, never crashes
  let failed: Error | undefined
  stream.on('error', err => { failed ??= err })
  return {
    keepsWrites: true,
    position: () => position,
    async write (items, tags) {
      if (failed != null) throw failed
      let text = ''
      for (let i = 0; i < items.length; i++) {
        const value = decodeValue(items[i])
        const tag = tags?.[i]
        text += `${toJsonLine(tag != null ? { member: tag, value } : value)}\n`
      }
      // resolves once the text is in the file (not just buffered): the journal may then say it was written
      await new Promise<void>((resolve, reject) => stream.write(text, err => err != null ? reject(err) : resolve()))
      position += Buffer.byteLength(text)
    },
    async close () {
      if (failed != null) return // the stream is already closed, and the failure reported by `write`
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => err != null ? reject(err) : resolve()))
    }
  }
}
