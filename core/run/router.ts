/**
 * Where work goes: routes an item on a stream to its consumers (each stage's queue, queues/, and sinks),
 * applies a finished job's outputs, and puts failed work back for another attempt. On a resumed run it also
 * replays: work whose job the journal already holds takes the journaled outputs instead of a queue slot, and
 * so do the items of a range piece that journaled chunks cover.
 * Shared by the run state's dispatch (run-state.ts) and its completion logic (completion.ts).
 */
import type { Emitted } from '../abi/abi.js'
import { errorToData, OutputLimitError } from '../errors.js'
import type { FlowGraph } from '../flow/graph.js'
import type { ErrorData } from '../jobs.js'
import { Fifo } from '../util/fifo.js'
import type { ChunkRecord, JobRecord } from '../journal/journal.js'
import type { ResumePoint } from '../journal/resume-point.js'
import type { RunStatus } from './run-status.js'
import type { StageState, Work } from './stage-state.js'
import { failureInput, rangeWork, splitAtItem } from './chunk-split.js'
import { isRangeChunk } from './chunks.js'
import { countOnPorts, unpackOutputs } from '../protocol/packed-outputs.js'
import type { RangeChunk } from './chunks.js'

/** One item for a sink. */
export interface ItemDelivery {
  readonly sink: string
  readonly bytes: Uint8Array
  /** The cluster member the item comes from, if it was produced on (or derived from) a pinned stage. */
  readonly tag?: string
}

/**
 * Or a chunk's outputs going to the sink all together, as the worker packed them (packed-outputs.ts, all on
 * port 0, untagged): `count` items, no object per item on the way to the sink or the journal.
 */
export interface BlockDelivery { readonly sink: string, readonly packed: Uint8Array, readonly count: number }

export type SinkDelivery = ItemDelivery | BlockDelivery

/** The deliveries item by item (a block's items as views into it), for whoever needs each item. */
export function itemDeliveries (deliveries: readonly SinkDelivery[]): ItemDelivery[] {
  const items: ItemDelivery[] = []
  for (const d of deliveries) {
    if ('bytes' in d) items.push(d)
    else for (const o of unpackOutputs(d.packed)) items.push({ sink: d.sink, bytes: o.bytes })
  }
  return items
}

/** What a finished job produced: its outputs, and a chunk's packed bytes when its outcome came so. */
export interface Produced {
  readonly outputs: readonly Emitted[]
  readonly packed?: Uint8Array
}

export interface RouterInit {
  readonly graph: FlowGraph
  readonly stages: ReadonlyMap<string, StageState>
  readonly status: RunStatus
  /** Streams read as side inputs: their items also set the side value. */
  readonly sideStreams: ReadonlySet<string>
  readonly setSide: (stream: string, bytes: Uint8Array) => void
  /** Record finished jobs for the journal. */
  readonly journal: boolean
  /** A resumed run: jobs the journal holds are replayed, not queued. */
  readonly resume?: ResumePoint
}

/** Journaled outputs that stand in for running a job or a chunk (its JobRecord or ChunkRecord). */
type Journaled = Produced & Pick<JobRecord, 'tag'>

interface Replay {
  readonly stage: StageState
  readonly work: Work
  readonly record: Journaled
}

export class Router {
  private readonly replays = new Fifo<Replay>()
  private records: JobRecord[] = []
  private chunkRecords: ChunkRecord[] = []
  /** Per stage: where its chunks' packed outputs may go as a block (blockTarget). */
  private readonly blockTargets = new Map<StageState, BlockTarget | undefined>()

  constructor (private readonly init: RouterInit) {}

  route (stream: string, bytes: Uint8Array, deliveries: SinkDelivery[], tag?: string): void {
    const { graph, stages, status } = this.init
    if (this.init.sideStreams.has(stream)) this.init.setSide(stream, bytes)
    const consumers = graph.consumers.get(stream)
    if (consumers == null) return
    for (const consumer of consumers) {
      if (consumer.kind === 'sink') {
        deliveries.push(tag == null ? { sink: consumer.name, bytes } : { sink: consumer.name, bytes, tag })
        continue
      }
      const stage = stages.get(consumer.name)!
      const work: Work = tag == null ? { input: bytes, attempts: 0 } : { input: bytes, attempts: 0, tag }
      // copies (broadcast) are replayed per member when taken (RunState.takeJobs)
      const record = stage.memoizable && !stage.queue.replaysOnTake ? this.init.resume?.lookup(stage.spec.name, bytes) : undefined
      if (record != null) {
        this.replays.push({ stage, work, record })
        continue
      }
      try {
        stage.queue.push(work)
      } catch (err) {
        // the item does not fit the stage (an aggregate's or a partitioned stage's input that is not a pair)
        stage.counts.failed++
        status.fail({ stage: stage.spec.name, input: bytes, attempts: 0, error: errorToData(err) })
      }
    }
  }

  /**
   * A job's outputs are accepted (it succeeded, or its replicas agreed): routes them and records the job for
   * the journal. Returns false, after failing the attempt, when the outputs break the stage's shape.
   */
  accept (stage: StageState, work: Work, produced: Produced, worker: string, deliveries: SinkDelivery[]): boolean {
    if (!this.applyOutputs(stage, work, produced, worker, deliveries)) return false
    if (!this.init.journal || !stage.memoizable || work.key != null) return true
    const tag = stage.cluster != null ? worker : undefined
    // a chunk (or an item of one retried alone) is a chunk record, found by its items on resume: its input
    // [start, count, step] could equal an item's, so it is never a job record. A chained chunk (chain-run.ts)
    // is accepted for the chain's tail with the head's range: not journaled (a resumed run runs it again)
    // An item chunk is not journaled: a resumed run reads its file again (its sinks skip what they wrote)
    if (work.chunk != null && !isRangeChunk(work.chunk)) return true
    const span = isRangeChunk(work.chunk) ? work.chunk : work.fromChunk
    if (span != null && stage.chunks?.ranges == null) return true
    // a packed chunk's record keeps the bytes (journaled as they are) and unpacks its outputs only if asked
    if (span != null) this.chunkRecords.push({ stage: stage.spec.name, start: span.start, count: span.count, step: span.step, ...(tag != null ? { tag } : {}), packed: produced.packed, get outputs () { return produced.outputs } })
    else this.records.push(tag != null ? { stage: stage.spec.name, input: work.input, outputs: produced.outputs, tag } : { stage: stage.spec.name, input: work.input, outputs: produced.outputs })
    return true
  }

  /** Finished chunks since the last call, for the journal. */
  takeChunkRecords (): readonly ChunkRecord[] {
    if (this.chunkRecords.length === 0) return this.chunkRecords
    const records = this.chunkRecords
    this.chunkRecords = []
    return records
  }

  /**
   * A resumed run reads a piece of a range that feeds `stage`: the journaled chunks inside it are queued as
   * replays (their outputs routed by the next `replay`, counted as replayed) and returned, so that only the
   * gaps between them are cut into new chunks (range-queue.ts).
   */
  replayChunks (stage: StageState, piece: RangeChunk): RangeChunk[] {
    const resume = this.init.resume
    if (resume == null || !stage.memoizable) return []
    const spans: RangeChunk[] = []
    for (const record of resume.chunksWithin(stage.spec.name, piece)) {
      const chunk = { start: record.start, count: record.count, step: record.step }
      this.replays.push({ stage, work: rangeWork(chunk, 0), record })
      spans.push(chunk)
    }
    return spans
  }

  /** Finished jobs since the last call, for the journal. */
  takeRecords (): readonly JobRecord[] {
    if (this.records.length === 0) return this.records
    const records = this.records
    this.records = []
    return records
  }

  /** Routed work waiting to take its journaled outputs (counted as queued until `replay`). */
  get pendingReplays (): number {
    return this.replays.size
  }

  /** Applies the journaled outputs of every pending replay (which may route more). Returns how many. */
  replay (deliveries: SinkDelivery[]): number {
    let count = 0
    for (let next = this.replays.shift(); next != null; next = this.replays.shift()) {
      const { stage, work, record } = next
      if (this.replayNow(stage, work, record, record.tag ?? '', deliveries)) count++
    }
    return count
  }

  /** The journaled job for this work, if a resumed run has one (the stage must be memoizable). */
  journaled (stage: StageState, work: Work): JobRecord | undefined {
    return stage.memoizable ? this.init.resume?.lookup(stage.spec.name, work.input) : undefined
  }

  /**
   * Takes `record`'s outputs for `work` instead of running it (`tag`: the member a pinned stage's outputs are
   * tagged with). False if they break the stage's shape (the work was put back to run).
   */
  replayNow (stage: StageState, work: Work, record: Journaled, tag: string, deliveries: SinkDelivery[]): boolean {
    if (!this.applyOutputs(stage, work, record, tag, deliveries)) return false
    const items = work.chunk?.count ?? 1
    stage.counts.done += items
    stage.counts.replayed += items
    return true
  }

  /**
   * Item `index` of a chunk failed: that item alone counts the failed attempt (it is retried alone, or fails
   * the run naming its input); the items before it (which ran) and after it (which did not) go back as two
   * chunks, their attempts unchanged.
   */
  failChunkItem (stage: StageState, work: Work, index: number, worker: string, error: ErrorData): void {
    const { rest, item } = splitAtItem(work, index)
    // back to the front: the later chunk first, so the earlier one runs first
    for (let i = rest.length - 1; i >= 0; i--) stage.queue.putBack(rest[i], worker)
    this.failAttempt(stage, item, worker, error)
  }

  /** Counts a failed attempt of `worker`'s job: the work goes back to the front of its queue, or the run fails. */
  failAttempt (stage: StageState, work: Work, worker: string, error: ErrorData): void {
    if (work.group != null) {
      // verified outputs that break the stage's shape: every honest replica agrees, so retrying cannot help
      stage.counts.failed++
      this.init.status.fail({ stage: stage.spec.name, input: work.input, attempts: work.attempts + 1, error })
      return
    }
    work.attempts++
    if (work.attempts <= stage.spec.retries) {
      stage.counts.retried++
      stage.queue.putBack(work, worker)
      return
    }
    stage.counts.failed++
    this.init.status.fail({ stage: stage.spec.name, input: failureInput(work), attempts: work.attempts, error })
  }

  /**
   * Routes a job's outputs (or folds a combine job's value into its aggregate). Returns false, after failing
   * the attempt, when the outputs break the stage's shape (wrong port, combine not emitting exactly one value).
   */
  private applyOutputs (stage: StageState, work: Work, produced: Produced, worker: string, deliveries: SinkDelivery[]): boolean {
    if (work.key == null && produced.packed != null && this.routeBlock(stage, work, produced.packed, worker, deliveries)) return true
    const outputs = produced.outputs
    if (work.key != null) {
      // a combine job: exactly one value goes back into the aggregate
      if (outputs.length !== 1 || outputs[0].port !== 0) {
        this.failAttempt(stage, work, worker, errorToData(new OutputLimitError(`aggregate function "${stage.spec.function}" must emit exactly one value on port 0, emitted ${outputs.length}`)))
        return false
      }
      stage.aggregate!.combined(work.key, outputs[0].bytes)
      return true
    }
    for (const output of outputs) {
      if (output.port >= stage.portStreams.length || output.port < 0) {
        this.failAttempt(stage, work, worker, errorToData(new OutputLimitError(`emitted on port ${output.port}, but stage "${stage.spec.name}" has ${stage.portStreams.length} output(s): ${stage.spec.outputs.join(', ')}`)))
        return false
      }
    }
    // a pinned stage's outputs are tagged with the member that ran it; others pass their input's tag on
    const tag = stage.cluster != null ? worker : work.tag
    for (const output of outputs) {
      stage.counts.emitted++
      this.route(stage.portStreams[output.port], output.bytes, deliveries, tag)
    }
    return true
  }

  /**
   * A chunk's packed outputs go on as a block, with no object per output, when nothing tags them and only
   * sinks read the stage (each sink gets the block) or each of its ports is read by one aggregate alone (the
   * pairs fold in place); false (nothing done) when they must be routed one by one.
   */
  private routeBlock (stage: StageState, work: Work, packed: Uint8Array, worker: string, deliveries: SinkDelivery[]): boolean {
    const target = this.blockTarget(stage)
    if (target == null || (stage.cluster != null ? worker : work.tag) != null) return false
    const count = countOnPorts(packed, 'sinks' in target ? 1 : target.aggregates.length)
    if (count < 0) return false
    stage.counts.emitted += count
    if ('sinks' in target) {
      for (const sink of target.sinks) deliveries.push({ sink, packed, count })
      return true
    }
    for (let pos = 0; pos < packed.length;) {
      const consumer = target.aggregates[packed[pos]]
      const end = pos + 5 + ((packed[pos + 1] | packed[pos + 2] << 8 | packed[pos + 3] << 16 | packed[pos + 4] << 24) >>> 0)
      try {
        consumer.aggregate!.addAt(packed, pos + 5, end)
      } catch (err) {
        // as `route` does: the item does not fit the aggregate, and the run fails naming it
        consumer.counts.failed++
        this.init.status.fail({ stage: consumer.spec.name, input: packed.slice(pos + 5, end), attempts: 0, error: errorToData(err) })
      }
      pos = end
    }
    return true
  }

  /**
   * Where a stage's packed outputs may go as a block: the sinks that read a one-port stage, when they are all
   * that reads it, or per port the aggregate stage that alone reads it (no side input anywhere).
   */
  private blockTarget (stage: StageState): BlockTarget | undefined {
    if (this.blockTargets.has(stage)) return this.blockTargets.get(stage)
    const { graph, stages, sideStreams } = this.init
    const readers = stage.portStreams.map(stream => sideStreams.has(stream) ? undefined : graph.consumers.get(stream))
    let target: BlockTarget | undefined
    if (readers.length === 1 && readers[0] != null && readers[0].length > 0 && readers[0].every(c => c.kind === 'sink')) {
      target = { sinks: readers[0].map(c => c.name) }
    } else {
      const aggregates = readers.map(r => r?.length === 1 ? stages.get(r[0].name) : undefined)
      if (aggregates.length > 0 && aggregates.every(a => a?.aggregate != null)) target = { aggregates: aggregates as StageState[] }
    }
    this.blockTargets.set(stage, target)
    return target
  }
}

/** Where a stage's packed outputs go as a block (Router.blockTarget). */
type BlockTarget = { readonly sinks: readonly string[] } | { readonly aggregates: readonly StageState[] }
