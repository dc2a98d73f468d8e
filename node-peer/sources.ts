/**
 * File sources (text lines, JSON Lines), read lazily with node:readline so a file of any size streams
 * through in bounded memory. Progress is measured in bytes.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { encodeValue } from '../core/codec.js'
import { GridError } from '../core/errors.js'
import type { SourceSpec } from '../core/flow/model.js'
import { RangeCursor, ValuesCursor } from '../core/run/sources.js'
import type { SourceCursor } from '../core/run/sources.js'

/** Input data is malformed (e.g. a JSONL line that is not JSON): bad input, exit code 2. */
export class SourceDataError extends GridError {
  static override name = 'SourceDataError'
}

class FileLinesCursor implements SourceCursor {
  private readonly stream
  private readonly lines: AsyncIterator<string>
  private lineNo = 0
  private size: number | undefined

  constructor (private readonly path: string, private readonly parse: (line: string, lineNo: number) => unknown | undefined) {
    this.stream = createReadStream(path)
    this.lines = createInterface({ input: this.stream, crlfDelay: Infinity })[Symbol.asyncIterator]()
    stat(path).then(s => { this.size = s.size }, () => {})
  }

  async read (max: number): Promise<Uint8Array[]> {
    const items: Uint8Array[] = []
    while (items.length < max) {
      const next = await this.lines.next()
      if (next.done === true) break
      this.lineNo++
      const value = this.parse(next.value, this.lineNo)
      if (value !== undefined) items.push(encodeValue(value))
    }
    return items
  }

  progress (): { done: number, total?: number } {
    return { done: this.stream.bytesRead, total: this.size }
  }

  async close (): Promise<void> {
    this.stream.destroy()
  }
}

export function openSource (spec: SourceSpec): SourceCursor {
  switch (spec.kind) {
    case 'range': return new RangeCursor(spec)
    case 'values': return new ValuesCursor(spec.values)
    case 'lines': return new FileLinesCursor(spec.path, line => line)
    case 'jsonl': return new FileLinesCursor(spec.path, (line, lineNo) => {
      if (line.trim() === '') return undefined
      try {
        return JSON.parse(line)
      } catch (err) {
        throw new SourceDataError(`${spec.path}:${lineNo}: source "${spec.name}" expects one JSON value per line: ${(err as Error).message}`)
      }
    })
    case 'client': throw new SourceDataError(`source "${spec.name}" is of type "client": its items come from a program's code, so run this flow with the edge-grid API (grid.run(flow, { sources: { ${spec.name}: iterable } })), not from the command line`)
  }
}
