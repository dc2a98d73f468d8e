/**
 * `serve --state DIR`: what a standing coordinator keeps so that a restart (even after SIGKILL) resumes every
 * unfinished run. Layout:
 *
 *   DIR/coordinator.key            the identity (unless --identity), so clients and volunteers find it again
 *   DIR/modules/<sha256>           every module of a kept run (a restart cannot ask a client that is not back)
 *   DIR/runs/<run id>/run.json     the submission: owner, flow text and manifest, priority, detach, when
 *   DIR/runs/<run id>/run.journal  its journal (finished jobs, acknowledged sink writes)
 *
 * A run's folder is removed when the run is over and its client has the result.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { FlowFileEntry } from '../../../core/protocol/submit-messages.js'

export interface StoredRun {
  readonly v: 1
  readonly run: string
  /** The client's peer id: only it may attach, list or cancel the run. */
  readonly owner: string
  readonly file: string
  readonly text: string
  readonly files: readonly FlowFileEntry[]
  readonly priority: number
  readonly detach: boolean
  readonly submittedAt: number
}

export class RunStore {
  constructor (readonly dir: string) {}

  get identityPath (): string {
    return join(this.dir, 'coordinator.key')
  }

  journalPath (run: string): string {
    return join(this.runDir(run), 'run.journal')
  }

  async save (record: StoredRun): Promise<void> {
    await mkdir(this.runDir(record.run), { recursive: true })
    const path = join(this.runDir(record.run), 'run.json')
    // written whole, then renamed: a crash leaves the old record or the new one, never half of one
    await writeFile(`${path}.tmp`, JSON.stringify(record))
    await rename(`${path}.tmp`, path)
  }

  async remove (run: string): Promise<void> {
    await rm(this.runDir(run), { recursive: true, force: true })
  }

  /** Every kept run; a folder without a readable record (a crash before it was written) is dropped. */
  async list (): Promise<StoredRun[]> {
    let names: string[]
    try {
      names = await readdir(join(this.dir, 'runs'))
    } catch {
      return []
    }
    const runs: StoredRun[] = []
    for (const name of names) {
      try {
        const record = JSON.parse(await readFile(join(this.runDir(name), 'run.json'), 'utf8')) as StoredRun
        if (record.v === 1 && record.run === name) runs.push(record)
        else await this.remove(name)
      } catch {
        await this.remove(name)
      }
    }
    return runs.sort((a, b) => a.submittedAt - b.submittedAt)
  }

  async putModule (hash: string, bytes: Uint8Array): Promise<void> {
    const dir = join(this.dir, 'modules')
    await mkdir(dir, { recursive: true })
    // a temporary name of its own: two runs may store the same module at once
    const tmp = join(dir, `${hash}.${randomUUID()}.tmp`)
    await writeFile(tmp, bytes)
    await rename(tmp, join(dir, hash))
  }

  async getModule (hash: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.dir, 'modules', hash)))
    } catch {
      return undefined
    }
  }

  private runDir (run: string): string {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(run)) throw new TypeError(`not a run id: ${run}`)
    return join(this.dir, 'runs', run)
  }
}
