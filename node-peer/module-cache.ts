/**
 * grid-worker's disk cache of WASM modules by content hash, so a restarted worker does not fetch code again.
 * Files are named by their sha256 and checked against it when read: a corrupt or tampered file is ignored.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256Hex } from '../core/abi/host.js'
import { isContentHash } from '../core/protocol/code-fetch.js'

export class ModuleCache {
  constructor (readonly dir: string) {}

  async get (hash: string): Promise<Uint8Array | undefined> {
    if (!isContentHash(hash)) return undefined
    try {
      const bytes = new Uint8Array(await readFile(join(this.dir, `${hash}.wasm`)))
      return (await sha256Hex(bytes)) === hash ? bytes : undefined
    } catch {
      return undefined
    }
  }

  async put (hash: string, bytes: Uint8Array): Promise<void> {
    if (!isContentHash(hash)) return
    await mkdir(this.dir, { recursive: true })
    // write then rename: a reader never sees half a file
    const tmp = join(this.dir, `${hash}.${process.pid}.tmp`)
    await writeFile(tmp, bytes)
    await rename(tmp, join(this.dir, `${hash}.wasm`))
  }
}
