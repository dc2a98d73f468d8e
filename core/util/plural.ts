/**
 * Counts in messages, singular or plural: `1 worker`, `2 workers`, `1,024 jobs`. One helper for the CLIs and
 * the browser page, so no message says "1 workers". English only: the plural is the noun + "s" unless given.
 */

/** `noun(1, 'worker')` → `worker`; `noun(3, 'worker')` → `workers`; `noun(2, 'batch', 'batches')` → `batches`. */
export function noun (count: number, one: string, many = `${one}s`): string {
  return count === 1 ? one : many
}

/** `plural(1, 'job')` → `1 job`; `plural(1500, 'job')` → `1,500 jobs` (digits grouped, as in the progress line). */
export function plural (count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${noun(count, one, many)}`
}
