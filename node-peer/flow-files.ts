/**
 * Node file access for flow validation: paths resolve against the flow file's folder, and missing files
 * read as `undefined` so the validator can name the JSON field that points at them.
 */
import { readFile, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { FlowValidationError } from '../core/errors.js'
import type { FlowFiles } from '../core/flow/validate.js'

async function isFile (path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

export const nodeFlowFiles: FlowFiles = {
  resolve: (flowFile, relative) => resolve(dirname(flowFile), relative),
  async read (path) {
    if (!(await isFile(path))) return undefined
    try {
      return new Uint8Array(await readFile(path))
    } catch {
      return undefined // removed or unreadable between stat and read
    }
  },
  exists: isFile
}

/** Reads a flow file as UTF-8; `file` is its absolute path (used in every later message). */
export async function readFlowFile (path: string): Promise<{ file: string, text: string }> {
  const file = resolve(path)
  const bytes = await nodeFlowFiles.read(file)
  if (bytes === undefined) throw new FlowValidationError(file, '', 'a readable file')
  return { file, text: new TextDecoder('utf-8').decode(bytes) }
}
