/**
 * Decides how a coordinator run uses its journal: start a new one, continue an interrupted run (`--resume`),
 * or refuse, saying why, when the journal and the command do not fit together.
 */
import { createHash } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fingerprintChange, JOURNAL_FORMAT, JournalError } from '../core/journal/journal.js'
import { ResumePoint } from '../core/journal/resume-point.js'
import { plural } from '../core/util/plural.js'
import type { FlowFingerprint } from '../core/journal/journal.js'
import { JournalFile, JournalLock } from './journal-file.js'

export interface JournalChoice {
  /** --resume: continue the interrupted run. */
  readonly resume: boolean
  /** --fresh: discard an interrupted run's journal. */
  readonly fresh: boolean
}

export interface RunJournalSetup {
  readonly journal: JournalFile
  /** Present when the run continues an interrupted one. */
  readonly resume?: ResumePoint
  /** A line for people: what was resumed, or what was dropped. */
  readonly note?: string
}

/** `.edge-grid/journals/<flow name>-<8 hex of the flow file's path>.journal`: one per flow file. */
export function defaultJournalPath (flowFile: string, flowName: string): string {
  return join('.edge-grid', 'journals', `${flowName}-${createHash('sha256').update(flowFile).digest('hex').slice(0, 8)}.journal`)
}

export async function setUpJournal (path: string, flowName: string, fingerprint: FlowFingerprint, choice: JournalChoice): Promise<RunJournalSetup> {
  await mkdir(dirname(path), { recursive: true })
  const lock = JournalLock.acquire(path)
  try {
    return await openJournal(path, flowName, fingerprint, choice, lock)
  } catch (err) {
    lock.release()
    throw err
  }
}

async function openJournal (path: string, flowName: string, fingerprint: FlowFingerprint, choice: JournalChoice, lock: JournalLock): Promise<RunJournalSetup> {
  const found = await JournalFile.read(path).catch(err => {
    // --fresh replaces even a journal that cannot be read
    if (choice.fresh && err instanceof JournalError) return undefined
    throw err
  })
  if (found == null || choice.fresh) {
    if (choice.resume) throw new JournalError(`--resume: there is no journal at ${path}, so nothing to resume (a run that ends by itself removes its journal; pass --journal if it was written elsewhere)`)
    const journal = await JournalFile.create(path, { format: JOURNAL_FORMAT, name: flowName, fingerprint, started: Date.now() }, lock)
    return found != null ? { journal, note: `started over: the interrupted run's journal was discarded (--fresh)` } : { journal }
  }
  const since = new Date(found.header.started).toISOString().replace('T', ' ').slice(0, 19)
  if (!choice.resume) {
    throw new JournalError(`an interrupted run of flow "${found.header.name}" (started ${since} UTC, ${plural(found.jobs, 'job')} done) left its journal at ${path}: continue it with --resume, or start over with --fresh`)
  }
  const change = fingerprintChange(found.header.fingerprint, fingerprint)
  if (change != null) throw new JournalError(`cannot resume from ${path}: ${change} since the run started (${since} UTC); start over with --fresh`)
  let resume: ResumePoint
  try {
    resume = new ResumePoint(found.header, found.payloads)
  } catch (err) {
    if (err instanceof JournalError) throw new JournalError(`${path}: ${err.message}; start over with --fresh`)
    throw err
  }
  const journal = JournalFile.reopen(path, found, lock)
  const torn = found.tornBytes > 0 ? `; a torn last write (${found.tornBytes} bytes) was dropped` : ''
  // a chunk is one job (README, "Chunks") covering many items
  const chunks = resume.chunkCount > 0 ? `; ${plural(resume.chunkCount, 'chunk')} among the jobs cover ${resume.chunkItemCount} items` : ''
  return { journal, resume, note: `resuming the run started ${since} UTC: ${resume.jobCount + resume.chunkCount} finished jobs and ${resume.sinkItemCount} written sink items from ${path}${chunks}${torn}` }
}
