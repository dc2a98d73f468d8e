/**
 * The board a coordinator serves: several FlowRuns at once, one set of workers. Every worker (network
 * sessions, embedded threads) joins the board once and takes jobs from it; the board joins it to every run
 * hosted now or later, and splits its job slots between the runs that have work for it.
 *
 * - **Fair share.** When a worker asks for jobs, the runs that may give it some get shares of its request by
 *   water-filling on that worker's jobs in flight per unit of weight (fair-share.ts): the run holding the
 *   fewest of its slots per weight is topped up first. A run added while another fills every worker gets jobs
 *   as soon as credits come back; a run with nothing this worker may take (all its work pinned to a cluster
 *   the worker is not in, or nothing queued) is skipped and the others get its share. It shares job slots,
 *   not CPU time: see fair-share.ts for runs whose jobs cost very differently. While several runs are
 *   hosted, a worker also holds no more than its even part of one run's outstanding work (queued + in flight,
 *   divided by the workers): in a standing grid a worker's credit window, learned on one run's tiny jobs,
 *   would otherwise let it take every job of a small run at once and leave the other workers none.
 * - **Job ids.** Each hosted run gets a slot: its ids are `n * slots + slot` (core/run/job-ids.ts), so a
 *   result finds its run with `id % slots`. A slot is reused after its run is removed, but its next run
 *   starts n where the last one stopped: the ids of a slot never repeat over the board's life, so a late
 *   result of a removed run is recognised (below the slot's current first id) and ignored, never taken for a
 *   job of the run that has the slot now.
 * - **Side inputs** are named per run; on the wire (job `side`, side messages, gossip) their names are
 *   `<seq>:<name>`, seq numbering hosted runs over the board's life (never reused, so a worker never mistakes
 *   a value of a finished run for a new run's value of the same name and version).
 * - **Refusals.** A worker refused by result verification in one run is refused by the board for the rest of
 *   its life: it gets no jobs from any run, and may not re-join (the same worker lied; other runs should not
 *   trust it either).
 */
import { RunBoardFullError } from '../errors.js'
import type { Job, JobOutcome } from '../jobs.js'
import type { SideValue } from '../protocol/side-values.js'
import type { JobIds } from '../run/job-ids.js'
import type { ClusterView } from '../run/run-summary.js'
import { fairShares } from './fair-share.js'
import type { JobBoard, WorkerJoin } from './job-board.js'

/** Runs hosted at once at most. Ids stay safe integers for 2^53 / RUN_SLOTS ≈ 3.5e13 jobs per slot. */
export const RUN_SLOTS = 256

/** What the board needs of a run (a FlowRun). */
export interface BoardRun extends JobBoard {
  readonly jobIds: JobIds
  onSide: (listener: (name: string, value: SideValue) => void) => () => void
  clusters: () => Record<string, ClusterView> | undefined
}

export interface BoardRunOptions {
  /** Its share of every worker's job slots relative to the other runs (default 1; a priority). */
  readonly weight?: number
}

interface Hosted {
  readonly run: BoardRun
  readonly slot: number
  /** The first id of this run: smaller ids of its slot belong to runs removed before it. */
  readonly firstId: number
  /** Numbers the run over the board's life: its side inputs are `<seq>:<name>` on the wire. */
  readonly seq: number
  weight: number
  readonly off: () => void
}

export class RunBoard implements JobBoard {
  readonly slots: number
  private readonly bySlot: Array<Hosted | undefined>
  private readonly byRun = new Map<BoardRun, Hosted>()
  private readonly bySeq = new Map<number, Hosted>()
  private hosted: Hosted[] = []
  /** n of the next id of each slot (ids of a slot never repeat). */
  private readonly nextN: number[]
  private seq = 0
  /** Workers joined now, as they declared themselves (a run added later joins them). */
  private readonly workers = new Map<string, WorkerJoin>()
  /** Per worker, jobs in flight by slot: what the fair share balances. */
  private readonly loads = new Map<string, number[]>()
  /** Jobs in flight by slot, on all workers. */
  private readonly slotLoads: number[]
  private readonly refused = new Set<string>()
  private readonly workListeners = new Set<() => void>()
  /** Which listener `notify` calls first next time. */
  private notifyTurn = 0
  private readonly sideListeners = new Set<(name: string, value: SideValue) => void>()
  private readonly refusedListeners = new Set<(worker: string) => void>()
  private readonly recallListeners = new Set<(recalled: (id: number) => boolean) => void>()

  constructor (init: { readonly slots?: number } = {}) {
    this.slots = init.slots ?? RUN_SLOTS
    if (!Number.isSafeInteger(this.slots) || this.slots < 1) throw new RangeError(`RunBoard: slots must be a positive integer, got ${this.slots}`)
    this.bySlot = new Array<Hosted | undefined>(this.slots).fill(undefined)
    this.nextN = new Array<number>(this.slots).fill(1)
    this.slotLoads = new Array<number>(this.slots).fill(0)
  }

  /**
   * Hosts `run` from now on: it gets a slot (its job ids are placed there, so it must not have handed out a
   * job yet), every worker joined now joins it, and workers are told there is work. RunBoardFullError when
   * RUN_SLOTS runs are hosted already.
   */
  add (run: BoardRun, options: BoardRunOptions = {}): void {
    if (this.byRun.has(run)) throw new Error('RunBoard.add: this run is hosted already')
    const weight = options.weight ?? 1
    checkWeight(weight)
    const slot = this.bySlot.indexOf(undefined)
    if (slot < 0) throw new RunBoardFullError(`this coordinator hosts ${this.slots} runs already: wait for one to end`)
    run.jobIds.place(slot, this.slots, this.nextN[slot])
    const seq = ++this.seq
    const prefix = `${seq}:`
    const offs = [
      run.onWork(() => { this.notify() }),
      run.onSide((name, value) => { for (const listener of this.sideListeners) listener(prefix + name, value) }),
      run.onRefused(worker => { this.refuse(worker) })
    ]
    const hosted: Hosted = { run, slot, firstId: this.nextN[slot] * this.slots + slot, seq, weight, off: () => { for (const off of offs) off() } }
    this.bySlot[slot] = hosted
    this.byRun.set(run, hosted)
    this.bySeq.set(seq, hosted)
    this.hosted = [...this.hosted, hosted]
    for (const [worker, joined] of this.workers) if (!this.refused.has(worker)) run.join(worker, joined)
    this.notify()
  }

  /**
   * Stops hosting `run` (it is over): nothing more is taken from it, late results of its jobs are ignored,
   * and its jobs still on workers are recalled (onRecall): every id of its slot below the next run's first.
   */
  remove (run: BoardRun): void {
    const hosted = this.byRun.get(run)
    if (hosted == null) return
    hosted.off()
    this.nextN[hosted.slot] = run.jobIds.nextN
    this.bySlot[hosted.slot] = undefined
    this.byRun.delete(run)
    this.bySeq.delete(hosted.seq)
    this.hosted = this.hosted.filter(h => h !== hosted)
    for (const load of this.loads.values()) load[hosted.slot] = 0
    this.slotLoads[hosted.slot] = 0
    const { slot } = hosted
    const end = this.nextN[slot] * this.slots + slot
    const recalled = (id: number): boolean => id % this.slots === slot && id < end
    for (const listener of this.recallListeners) listener(recalled)
  }

  /** Changes a hosted run's weight (its priority) from now on. */
  setWeight (run: BoardRun, weight: number): void {
    const hosted = this.byRun.get(run)
    if (hosted == null) throw new Error('RunBoard.setWeight: this run is not hosted')
    checkWeight(weight)
    hosted.weight = weight
  }

  /** Runs hosted now. */
  get size (): number {
    return this.hosted.length
  }

  /** The slot of a hosted run (its job ids are `n * slots + slot`); undefined when it is not hosted. */
  slotOf (run: BoardRun): number | undefined {
    return this.byRun.get(run)?.slot
  }

  join (worker: string, joined: WorkerJoin): void {
    const kept = { ...joined, labels: [...joined.labels] }
    this.workers.set(worker, kept)
    for (const { run } of this.hosted) run.join(worker, kept)
  }

  release (worker: string): void {
    this.workers.delete(worker)
    const load = this.loads.get(worker)
    if (load != null) for (let slot = 0; slot < this.slots; slot++) this.slotLoads[slot] = Math.max(0, this.slotLoads[slot] - load[slot])
    this.loads.delete(worker)
    for (const { run } of this.hosted) run.release(worker)
  }

  takeJobs (max: number, worker: string, leased = false): Job[] {
    const hosted = this.hosted
    if (hosted.length === 0 || max <= 0 || this.refused.has(worker)) return []
    const load = this.loadOf(worker)
    if (hosted.length === 1) {
      // one run: what a run alone costs, plus a count and the side names
      const only = hosted[0]
      const jobs = only.run.takeJobs(max, worker, leased)
      load[only.slot] += jobs.length
      this.slotLoads[only.slot] += jobs.length
      return this.wireSides(jobs, only)
    }
    const taken: Job[] = []
    // several runs: within each, no worker holds more than its even part of the run's outstanding work, so a
    // worker whose credit window learned one run's tiny jobs does not take every job of a small run at once
    const workers = Math.max(1, this.workers.size, this.loads.size)
    const caps = new Map<Hosted, number>()
    let active: Hosted[] = []
    for (const h of hosted) {
      const cap = Math.max(1, Math.ceil((h.run.queued + this.slotLoads[h.slot]) / workers)) - load[h.slot]
      if (cap <= 0) continue
      caps.set(h, cap)
      active.push(h)
    }
    let remaining = max
    // each round fills every share in full (then nothing remains) or drops a run that gave less: bounded
    for (let round = 0; remaining > 0 && active.length > 0 && round <= hosted.length; round++) {
      const shares = fairShares(active.map(h => load[h.slot]), active.map(h => h.weight), remaining)
      const still: Hosted[] = []
      for (let i = 0; i < active.length; i++) {
        const h = active[i]
        const ask = Math.min(shares[i], caps.get(h)!)
        if (ask === 0) {
          if (shares[i] === 0) still.push(h)
          continue
        }
        const jobs = h.run.takeJobs(ask, worker, leased)
        load[h.slot] += jobs.length
        this.slotLoads[h.slot] += jobs.length
        caps.set(h, caps.get(h)! - jobs.length)
        remaining -= jobs.length
        for (const job of this.wireSides(jobs, h)) taken.push(job)
        if (jobs.length === shares[i]) still.push(h)
      }
      active = still
    }
    return taken
  }

  complete (outcomes: readonly JobOutcome[], worker?: string): void {
    if (outcomes.length === 0) return
    const load = worker != null ? this.loads.get(worker) : undefined
    const hosted = this.hosted
    if (hosted.length === 1) {
      const { run, slot, firstId } = hosted[0]
      let mine = true
      for (const outcome of outcomes) {
        if (outcome.id % this.slots !== slot || outcome.id < firstId) { mine = false; break }
      }
      if (mine) {
        if (load != null) load[slot] = Math.max(0, load[slot] - outcomes.length)
        this.slotLoads[slot] = Math.max(0, this.slotLoads[slot] - outcomes.length)
        run.complete(outcomes, worker)
        return
      }
    }
    const bySlot = new Map<Hosted, JobOutcome[]>()
    for (const outcome of outcomes) {
      const h = this.bySlot[outcome.id % this.slots]
      // no run in that slot now, or an older one's: a late result of a removed run
      if (h == null || outcome.id < h.firstId) continue
      let list = bySlot.get(h)
      if (list == null) bySlot.set(h, list = [])
      list.push(outcome)
    }
    for (const [h, list] of bySlot) {
      if (load != null) load[h.slot] = Math.max(0, load[h.slot] - list.length)
      this.slotLoads[h.slot] = Math.max(0, this.slotLoads[h.slot] - list.length)
      h.run.complete(list, worker)
    }
  }

  onWork (listener: () => void): () => void {
    this.workListeners.add(listener)
    return () => this.workListeners.delete(listener)
  }

  onRecall (listener: (recalled: (id: number) => boolean) => void): () => void {
    this.recallListeners.add(listener)
    return () => this.recallListeners.delete(listener)
  }

  /** Calls `listener` with every new side input value of every hosted run, under its wire name. */
  onSide (listener: (name: string, value: SideValue) => void): () => void {
    this.sideListeners.add(listener)
    return () => this.sideListeners.delete(listener)
  }

  isRefused (worker: string): boolean {
    return this.refused.has(worker)
  }

  onRefused (listener: (worker: string) => void): () => void {
    this.refusedListeners.add(listener)
    return () => this.refusedListeners.delete(listener)
  }

  /** `name` as jobs carry it (`<seq>:<side input>`). */
  sideValue (name: string): SideValue | undefined {
    const colon = name.indexOf(':')
    if (colon < 0) return undefined
    return this.bySeq.get(Number(name.slice(0, colon)))?.run.sideValue(name.slice(colon + 1))
  }

  get queued (): number {
    let queued = 0
    for (const { run } of this.hosted) queued += run.queued
    return queued
  }

  /** The clusters `worker` is a member of, in any hosted run. */
  clustersOf (worker: string): string[] {
    const names = new Set<string>()
    for (const { run } of this.hosted) {
      for (const [name, view] of Object.entries(run.clusters() ?? {})) if (view.members.includes(worker)) names.add(name)
    }
    return [...names]
  }

  /** Refused by one run: by every run, for the board's life. */
  private refuse (worker: string): void {
    if (this.refused.has(worker)) return
    this.refused.add(worker)
    for (const { run } of this.hosted) run.release(worker)
    for (const listener of this.refusedListeners) listener(worker)
  }

  private loadOf (worker: string): number[] {
    let load = this.loads.get(worker)
    if (load == null) this.loads.set(worker, load = new Array<number>(this.slots).fill(0))
    return load
  }

  /** Jobs with a side input name it by its wire name (`<seq>:<name>`). */
  private wireSides (jobs: Job[], hosted: Hosted): Job[] {
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]
      if (job.side != null) jobs[i] = { ...job, side: `${hosted.seq}:${job.side}` }
    }
    return jobs
  }

  private notify (): void {
    // in turn, starting one further each time: when jobs are scarce, the worker that joined first does not
    // take them all every time (each takes up to its credits)
    const listeners = [...this.workListeners]
    const first = this.notifyTurn++ % Math.max(1, listeners.length)
    for (let i = 0; i < listeners.length; i++) listeners[(first + i) % listeners.length]()
  }
}

function checkWeight (weight: number): void {
  if (!(weight > 0 && Number.isFinite(weight))) throw new RangeError(`RunBoard: a run's weight must be a positive number, got ${weight}`)
}
