/**
 * Assembles an image from `[y, rowBytes]` items (one row of `width * channels` bytes each) in memory and,
 * only when the run succeeds, writes it to `<path>.partial` and renames that over `path` (output-file.ts).
 * Rows may arrive in any order; a row that never arrives stays black. A failed or interrupted run writes
 * nothing (the previous `path` stays as it was), and a resumed run delivers every row again.
 */
import { writeFile } from 'node:fs/promises'
import { PNG } from 'pngjs'
import { decodeValue } from '../../core/codec.js'
import { GridError } from '../../core/errors.js'
import type { SinkSpec } from '../../core/flow/model.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import { describe } from '../../core/util/describe.js'
import { OutputFile } from './output-file.js'

export class SinkItemError extends GridError {
  static override name = 'SinkItemError'
}

const colorTypes = { 1: 0, 3: 2, 4: 6 } as const

export async function pngSink (spec: Extract<SinkSpec, { kind: 'png' }>): Promise<SinkWriter> {
  const { width, height, channels } = spec
  const rowLength = width * channels
  const pixels = new Uint8Array(rowLength * height)
  const file = await OutputFile.prepare(spec.path, spec.name)
  return {
    async write (items) {
      for (const item of items) {
        const value = decodeValue(item)
        const [y, row] = Array.isArray(value) ? value as unknown[] : []
        if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= height || !(row instanceof Uint8Array) || row.length !== rowLength) {
          throw new SinkItemError(`png sink "${spec.name}" expects [y, rowBytes] with 0 <= y < ${height} and ${rowLength} bytes (${width} px × ${channels} channels), got ${describe(value)}`)
        }
        pixels.set(row, y * rowLength)
      }
    },
    async close (ok) {
      if (!ok) return // the image is incomplete: keep the previous file, write no partial one
      // pngjs takes RGBA input; it converts to the colour type we ask for.
      const png = new PNG({ width, height, colorType: colorTypes[channels], inputHasAlpha: true })
      for (let i = 0, p = 0; i < width * height; i++, p += channels) {
        const o = i * 4
        if (channels === 1) {
          png.data[o] = png.data[o + 1] = png.data[o + 2] = pixels[p]
          png.data[o + 3] = 255
        } else {
          png.data[o] = pixels[p]
          png.data[o + 1] = pixels[p + 1]
          png.data[o + 2] = pixels[p + 2]
          png.data[o + 3] = channels === 4 ? pixels[p + 3] : 255
        }
      }
      await writeFile(file.partial, PNG.sync.write(png, { colorType: colorTypes[channels], inputHasAlpha: true }))
    },
    async commit () {
      await file.publish()
    }
  }
}
