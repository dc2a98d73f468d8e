/**
 * Feeds a run's sinks: each sink's deliveries gather in its queue while a write is under way, and go out in
 * one write when it ends (backpressure: FlowRun hands out no jobs while too many items wait). After each write
 * the journal records what the sink kept, so a resumed run does not write it again. Chunks' packed outputs
 * (router.ts, BlockDelivery) stay packed all the way to a sink that takes blocks and to the journal.
 */
import type { ErrorData } from '../jobs.js'
import { errorToData, SinkError } from '../errors.js'
import type { RunJournal } from '../journal/journal.js'
import type { ResumePoint } from '../journal/resume-point.js'
import { unpackOutputs } from '../protocol/packed-outputs.js'
import { itemDeliveries } from './router.js'
import type { SinkDelivery } from './router.js'

export interface SinkWriter {
  /**
   * Writes encoded items; the promise settles when they are safely handed on (backpressure). `tags[i]`, when
   * given, is the cluster member item i comes from (`worker/0`); sinks show it (stdout prints `[worker/0] v`).
   */
  write (items: readonly Uint8Array[], tags?: ReadonlyArray<string | undefined>): Promise<void>
  /**
   * Optional: writes untagged items given as chunks' packed outputs (core/protocol/packed-outputs.ts, every
   * one on port 0), in order, as `write` would. A sink without it gets the items through `write`.
   */
  writeBlocks?: (blocks: readonly Uint8Array[]) => Promise<void>
  /** Finishes the sink. `ok`: the run succeeded so far (a PNG sink writes its image only then). */
  close (ok: boolean): Promise<void>
  /** Called once every sink closed and the run succeeded: a file sink replaces its target with its output. */
  commit?: () => Promise<void>
  /**
   * Items are out for good once `write` resolves (stdout, files), so a journal records them and a resumed run
   * does not write them again. False (the default) for sinks that write only at `close` (PNG): a resumed run
   * delivers all their items again.
   */
  readonly keepsWrites?: boolean
  /** File sinks: the file's size after the last write (a resumed run cuts the file back to it). */
  position?: () => number
}

interface SinkQueue {
  readonly writer: SinkWriter
  items: Uint8Array[]
  /** Aligned with `items` (undefined for untagged items). */
  tags: Array<string | undefined>
  blocks: Uint8Array[]
  /** Items in `blocks`. */
  blockItems: number
  busy: boolean
}

export class SinkFeed {
  private readonly queues = new Map<string, SinkQueue>()
  private pendingItems = 0
  private busyCount = 0
  private failure: ErrorData | undefined

  /** `changed`: called after every write (a write frees room, or failed). */
  constructor (private readonly journal: RunJournal | undefined, private readonly resume: ResumePoint | undefined, private readonly changed: () => void) {}

  add (name: string, writer: SinkWriter): void {
    this.queues.set(name, { writer, items: [], tags: [], blocks: [], blockItems: 0, busy: false })
  }

  get writers (): ReadonlyMap<string, SinkWriter> {
    return new Map([...this.queues].map(([name, q]) => [name, q.writer]))
  }

  /** Items delivered and not yet written. */
  get pending (): number {
    return this.pendingItems
  }

  /** Nothing waits and no write is under way. */
  get idle (): boolean {
    return this.pendingItems === 0 && this.busyCount === 0
  }

  /** The first sink failure (a write, or `fail`): the run ends with it. */
  get error (): ErrorData | undefined {
    return this.failure
  }

  fail (sink: string, err: unknown): void {
    this.failure ??= errorToData(new SinkError(`sink "${sink}": ${errorToData(err).message}`))
  }

  deliver (deliveries: readonly SinkDelivery[]): void {
    // a resumed run skips, item by item, what the sinks wrote before
    const resume = this.resume
    for (const d of resume != null ? itemDeliveries(deliveries) : deliveries) {
      const queue = this.queues.get(d.sink)!
      if ('packed' in d) {
        queue.blocks.push(d.packed)
        queue.blockItems += d.count
        this.pendingItems += d.count
      } else {
        if (resume?.alreadyWritten(d.sink, d.bytes, d.tag) === true) continue
        queue.items.push(d.bytes)
        queue.tags.push(d.tag)
        this.pendingItems++
      }
      if (!queue.busy) void this.flush(d.sink, queue)
    }
  }

  private async flush (name: string, queue: SinkQueue): Promise<void> {
    queue.busy = true
    this.busyCount++
    try {
      // let a burst of deliveries gather before the first write
      await Promise.resolve()
      while (queue.items.length > 0 || queue.blocks.length > 0) {
        const { items, tags, blocks, blockItems } = queue
        queue.items = []
        queue.tags = []
        queue.blocks = []
        queue.blockItems = 0
        try {
          if (items.length > 0) await this.write(name, queue.writer, items, tags.some(t => t != null) ? tags : undefined)
          if (blocks.length > 0) await this.writeBlocks(name, queue.writer, blocks)
        } catch (err) {
          this.fail(name, err)
        }
        this.pendingItems -= items.length + blockItems
      }
    } finally {
      queue.busy = false
      this.busyCount--
      this.changed()
    }
  }

  private async write (name: string, writer: SinkWriter, items: Uint8Array[], tags: Array<string | undefined> | undefined): Promise<void> {
    await writer.write(items, tags)
    if (writer.keepsWrites === true) this.journal?.sinkWritten({ sink: name, items, ...(tags != null ? { tags } : {}), ...(writer.position != null ? { position: writer.position() } : {}) })
  }

  private async writeBlocks (name: string, writer: SinkWriter, blocks: Uint8Array[]): Promise<void> {
    if (writer.writeBlocks != null) await writer.writeBlocks(blocks)
    else await writer.write(blocks.flatMap(block => unpackOutputs(block).map(o => o.bytes)))
    if (writer.keepsWrites === true) this.journal?.sinkWritten({ sink: name, items: [], blocks, ...(writer.position != null ? { position: writer.position() } : {}) })
  }
}
