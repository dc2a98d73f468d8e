/** Command-line mistakes (unknown option, bad value): exit code 2 with a one-line explanation. */
import { GridError } from '../../core/errors.js'

export class UsageError extends GridError {
  static override name = 'UsageError'
}

/** node:util parseArgs throws TypeErrors with codes; present those and ours alike. */
export function usageErrorMessage (err: unknown): string {
  if (err instanceof UsageError) return err.message
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) return err.message
  throw err
}
