/** The shape of the bench's JSON document and what every workload hands back. */
import type { FunctionInstance } from '../../core/abi/host.js'
import type { GridEnv } from './grid.js'
import type { Ratio, Summary } from './stats.js'

export interface Figure extends Summary {
  readonly unit: string
  readonly description: string
}

export interface RatioFigure extends Ratio {
  readonly description: string
}

export interface Target {
  readonly workload: string
  readonly name: string
  /** The goal in words, e.g. "≥ 0.5". */
  readonly goal: string
  readonly measured: number
  readonly unit: string
  readonly met: boolean
}

export interface WorkloadResult {
  readonly id: string
  readonly title: string
  readonly params: Record<string, unknown>
  readonly figures: Record<string, Figure>
  readonly ratios: Record<string, RatioFigure>
  readonly targets: Target[]
  readonly notes: string[]
  /** Set when the workload could not run here (e.g. no browser page built). */
  readonly skipped?: string
}

export interface BenchContext {
  readonly quick: boolean
  readonly runs: number
  /** `--workers N`: the crowd size of W9 (each workload's own default when absent). */
  readonly workers?: number
  /** Scratch folder of this bench run. */
  readonly dir: string
  readonly env: GridEnv
  /** bench.wat assembled. */
  readonly wasm: Uint8Array
  /** The same module instantiated in this process (in-process baselines). */
  readonly instance: FunctionInstance
  readonly log: (line: string) => void
}

export type Workload = (ctx: BenchContext) => Promise<WorkloadResult>

export function figure (summary: Summary, unit: string, description: string): Figure {
  return { ...summary, unit, description }
}

export function target (workload: string, name: string, goal: string, measured: number, unit: string, met: boolean): Target {
  return { workload, name, goal, measured, unit, met }
}
