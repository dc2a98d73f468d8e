/** Command-line parsing shared by the CLIs: usage mistakes exit 2 with a one-line explanation. */
import { GridError } from '../../core/errors.js'
import type { Terminal } from './terminal.js'

export const EXIT_OK = 0
/** The flow failed while running (a job failed on every attempt, a sink could not write). */
export const EXIT_FAILED = 1
/** Bad input: invalid flow.json, missing files, malformed input data, a journal that does not fit. */
export const EXIT_BAD_INPUT = 2
/** 128 + SIGINT, as a shell reports a process stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130

export class UsageError extends GridError {
  static override name = 'UsageError'
}

/** node:util parseArgs throws TypeErrors with codes; present those and ours alike. */
export function usageErrorMessage (err: unknown): string {
  if (err instanceof UsageError) return err.message
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) return err.message
  throw err
}

/** An integer option in [min, max], or `fallback` when absent. */
export function intOption (flag: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value == null) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} expects an integer from ${min} to ${max}, got "${value}"`)
  return n
}

/**
 * Parses argv with `parse`; prints help (returns 0) or a usage error (returns EXIT_BAD_INPUT) itself, so
 * a CLI's main only continues with valid options.
 */
export async function parseCommandLine<T> (name: string, help: string, argv: string[], terminal: Terminal, parse: (argv: string[]) => T | 'help'): Promise<T | number> {
  let options: T | 'help'
  try {
    options = parse(argv)
  } catch (err) {
    terminal.log(`${name}: ${usageErrorMessage(err)}\nRun ${name} --help for usage.`)
    return EXIT_BAD_INPUT
  }
  if (options === 'help') {
    await terminal.write(help)
    return 0
  }
  return options
}
