/**
 * What a journal is bound to: the flow file's text, every module's hash and every input file's content.
 * A resumed run recomputes it and refuses to continue when any part differs (core/journal/journal.ts).
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { FlowSpec } from '../core/flow/model.js'
import type { FlowFingerprint } from '../core/journal/journal.js'

/** `inputHashes`: the input files' hashes by source name, when computed elsewhere (a client's files). */
export async function flowFingerprint (text: string, spec: FlowSpec, moduleHashes: ReadonlyMap<string, string>, inputHashes?: Readonly<Record<string, string>>): Promise<FlowFingerprint> {
  const inputs: Record<string, string> = {}
  for (const source of Object.values(spec.sources)) {
    if (source.kind === 'lines' || source.kind === 'jsonl') inputs[source.name] = inputHashes?.[source.name] ?? await fileSha256(source.path)
  }
  return {
    flow: createHash('sha256').update(text).digest('hex'),
    modules: Object.fromEntries(moduleHashes),
    inputs
  }
}

/** Streams the file through sha256 (inputs may be large). */
export async function fileSha256 (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
