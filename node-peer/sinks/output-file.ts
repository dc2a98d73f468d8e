/**
 * The file behind a file sink (jsonl, png), replaced only by a run that succeeds. A run writes
 * `<target>.partial` beside its target (same folder, so same file system) and renames it over the target
 * once every sink is complete; rename(2) is atomic, so the target is at every moment either the previous
 * run's whole output or this run's. A run that fails, is stopped or crashes leaves the target as it was and
 * the partial file beside it: `--resume` continues that partial file (cut back to the size the journal
 * recorded) and renames it at the end; a new run (no journal, `--fresh`) starts it over.
 */
import { mkdir, rename, stat, truncate } from 'node:fs/promises'
import { dirname } from 'node:path'
import { GridError } from '../../core/errors.js'
import { PARTIAL_SUFFIX } from '../../core/flow/model.js'
import { JournalError } from '../../core/run/journal.js'

/** An output file cannot be prepared or put in place (its target is a folder, its folder is a file, …). */
export class SinkFileError extends GridError {
  static override name = 'SinkFileError'
}

/** `out/x.jsonl` → `out/x.jsonl.partial`: where a run writes before its output replaces the target. */
export function partialPath (target: string): string {
  return `${target}${PARTIAL_SUFFIX}`
}

export class OutputFile {
  readonly partial: string

  private constructor (readonly target: string) {
    this.partial = partialPath(target)
  }

  /**
   * Makes the target's folder and checks that a file can later be renamed over the target. Touches neither
   * the target nor the partial file: the sink opens the partial file itself (new, or continued by `cutBack`).
   */
  static async prepare (target: string, sink: string): Promise<OutputFile> {
    try {
      await mkdir(dirname(target), { recursive: true })
    } catch (err) {
      throw new SinkFileError(`sink "${sink}": cannot create the folder of ${target} (${(err as Error).message}); fix the path in flow.json`, { cause: err })
    }
    const kind = await stat(target).then(s => s.isDirectory() ? 'a folder' : undefined, () => undefined)
    if (kind != null) throw new SinkFileError(`sink "${sink}": ${target} is ${kind}, so the output cannot replace it; move it away or change the sink's path`)
    return new OutputFile(target)
  }

  /**
   * A resumed run continues the partial file from where the journal's last write for this sink left it:
   * the file is cut back to `position` bytes (dropping what was written after that entry). Refused with a
   * JournalError when the partial file is gone or shorter, since resuming would then lose items.
   */
  async cutBack (position: number): Promise<void> {
    const size = await stat(this.partial).then(s => s.size, () => -1)
    if (size < position) {
      const what = size < 0 ? 'is gone' : `has ${size} bytes, fewer than the ${position} the journal recorded`
      throw new JournalError(`${this.partial} (the interrupted run's output so far) ${what}: it was changed or removed after the run stopped, so resuming would lose items; start over with --fresh (${this.target} is untouched either way)`)
    }
    await truncate(this.partial, position)
  }

  /** The run succeeded: the partial file becomes the target, atomically replacing the previous output. */
  async publish (): Promise<void> {
    try {
      await rename(this.partial, this.target)
    } catch (err) {
      throw new SinkFileError(`cannot rename ${this.partial} to ${this.target} (${(err as Error).message}); the finished output is in ${this.partial}`, { cause: err })
    }
  }
}
