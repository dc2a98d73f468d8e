/**
 * Result verification (README, "Execution semantics": verification): a job of a stage with
 * `verify: { replicas }` runs on that many distinct workers; their outputs (msgpack bytes per port) are
 * compared byte for byte, since functions are pure and deterministic. Unanimous replicas are accepted at
 * once; on any disagreement one more replica (on yet another worker) is run, and the outputs are accepted
 * when one version has a strict majority. Workers whose outputs lost are recorded as suspicious.
 * Pure bookkeeping: run-state.ts hands the replicas out and routes the accepted outputs once.
 */
import type { Emitted } from '../abi/abi.js'

/** Disagreements with the quorum after which a worker is refused for the rest of the run. Three, so that a
 *  worker with a rare hardware fault is not thrown out at once, while a liar is caught after a few jobs. */
export const REFUSE_AFTER_DISAGREEMENTS = 3

/** Replicas a job may need beyond `replicas` before it is declared unverifiable (no majority emerges). */
export function maxReplicas (replicas: number): number {
  return 2 * replicas + 1
}

export type ReplicaDecision =
  /** More results are needed (some replicas are out or not handed out yet). */
  | { readonly kind: 'wait' }
  /** Accepted: route `outputs` once; `dissenters` returned different outputs. */
  | { readonly kind: 'accept', readonly outputs: readonly Emitted[], readonly agreed: readonly string[], readonly dissenters: readonly string[] }
  /** No majority after the most replicas allowed. */
  | { readonly kind: 'unverifiable', readonly versions: number }

/** The replicas of one job. */
export class ReplicaGroup {
  /** How many results are wanted before deciding: `replicas`, one more per undecided round. */
  private target: number
  /** Workers that hold a replica now or returned a result: never given another replica of this job. */
  private readonly workers = new Set<string>()
  private running = 0
  private readonly results: Array<{ worker: string, outputs: readonly Emitted[], digest: string }> = []
  /** True once the replicas disagreed (counted once per job in the report). */
  disputed = false

  constructor (readonly replicas: number) {
    this.target = replicas
  }

  /** Whether `worker` may take a replica now. */
  wants (worker: string): boolean {
    return this.results.length + this.running < this.target && !this.workers.has(worker)
  }

  /** Replicas still to hand out. */
  get missing (): number {
    return this.target - this.results.length - this.running
  }

  handedTo (worker: string): void {
    this.workers.add(worker)
    this.running++
  }

  /** A replica came back without a result (failed, lease expired, worker left): its slot opens again. */
  lost (worker: string): void {
    this.running--
    if (!this.results.some(r => r.worker === worker)) this.workers.delete(worker)
  }

  /** Records one replica's outputs and decides if it can. */
  result (worker: string, outputs: readonly Emitted[]): ReplicaDecision {
    this.running--
    this.results.push({ worker, outputs, digest: digestOf(outputs) })
    if (this.results.length < this.target) return { kind: 'wait' }
    const tally = new Map<string, number>()
    for (const r of this.results) tally.set(r.digest, (tally.get(r.digest) ?? 0) + 1)
    let best = ''
    let bestCount = 0
    for (const [digest, count] of tally) if (count > bestCount) { best = digest; bestCount = count }
    const unanimous = tally.size === 1
    if (unanimous || (this.disputed && bestCount * 2 > this.results.length)) {
      const winner = this.results.find(r => r.digest === best)!
      return {
        kind: 'accept',
        outputs: winner.outputs,
        agreed: this.results.filter(r => r.digest === best).map(r => r.worker),
        dissenters: this.results.filter(r => r.digest !== best).map(r => r.worker)
      }
    }
    this.disputed = true
    if (this.target >= maxReplicas(this.replicas)) return { kind: 'unverifiable', versions: tally.size }
    this.target++
    return { kind: 'wait' }
  }
}

/** Counts for the report: jobs verified, jobs whose replicas disagreed, disagreements per worker. */
export class VerificationLedger {
  verified = 0
  disagreements = 0
  readonly suspicious = new Map<string, number>()
  readonly refused = new Set<string>()

  /**
   * Records an accepted job (`items`: a chunk's item count, so `verified` counts items as `done` does);
   * returns the workers refused by it (their count reached the threshold).
   */
  accepted (decision: { readonly dissenters: readonly string[] }, disputed: boolean, items = 1): string[] {
    this.verified += items
    if (disputed) this.disagreements++
    const newlyRefused: string[] = []
    for (const worker of decision.dissenters) {
      const n = (this.suspicious.get(worker) ?? 0) + 1
      this.suspicious.set(worker, n)
      if (n >= REFUSE_AFTER_DISAGREEMENTS && !this.refused.has(worker)) {
        this.refused.add(worker)
        newlyRefused.push(worker)
      }
    }
    return newlyRefused
  }

  snapshot (): VerificationReport {
    return { verified: this.verified, disagreements: this.disagreements, suspicious: Object.fromEntries(this.suspicious) }
  }
}

export interface VerificationReport {
  /** Jobs whose outputs were accepted by agreeing replicas. */
  readonly verified: number
  /** Jobs whose replicas disagreed at least once. */
  readonly disagreements: number
  /** Worker → how many times its outputs disagreed with the quorum. */
  readonly suspicious: Record<string, number>
}

/** An exact identity of a job's outputs: ports and bytes, in emission order. */
function digestOf (outputs: readonly Emitted[]): string {
  let s = `${outputs.length}`
  for (const o of outputs) {
    s += `|${o.port}:${o.bytes.length}:`
    for (let i = 0; i < o.bytes.length; i++) s += String.fromCharCode(o.bytes[i])
  }
  return s
}
