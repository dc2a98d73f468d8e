/**
 * The checks shared by the executor compliance suites (executor-suite.ts, wasi-suite.ts, js-suite.ts): they
 * run in Node and in a browser page, so they throw SuiteAssertionError instead of using node:assert.
 */
import { decodeValue } from '../codec.js'
import type { JobOutcome } from '../jobs.js'

export class SuiteAssertionError extends Error {
  static override name = 'SuiteAssertionError'
  constructor (message: string) {
    super(message)
    this.name = SuiteAssertionError.name
  }
}

export function check (condition: boolean, message: string): asserts condition {
  if (!condition) throw new SuiteAssertionError(message)
}

/** Equal by JSON form. */
export function same (actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  check(a === e, `${what}: expected ${e}, got ${a}`)
}

/** The one outcome of job `id`. */
export function outcomeOf (outcomes: readonly JobOutcome[], id: number): JobOutcome {
  const found = outcomes.filter(o => o.id === id)
  check(found.length === 1, `job ${id}: expected one outcome, got ${found.length}`)
  return found[0]
}

/** The decoded outputs of job `id` as [port, value] pairs; the job must have succeeded. */
export function values (outcomes: readonly JobOutcome[], id: number): Array<[number, unknown]> {
  const outcome = outcomeOf(outcomes, id)
  check(outcome.ok, `job ${id} failed: ${outcome.ok ? '' : `${outcome.error.name}: ${outcome.error.message}`}`)
  return outcome.outputs.map(o => [o.port, decodeValue(o.bytes)])
}
