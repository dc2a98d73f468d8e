// CPU-bound example: counts the primes in [start, start + 312500) by trial division, and sums the counts.
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { input, inputInt, emitInt, output } from "edge-grid/kit";

const CHUNK: i64 = 312500;
const KEY = "primes below 20000000";

function isPrime(n: i64): bool {
  if (n < 2) return false;
  if (n < 4) return true;
  if ((n & 1) == 0) return false;
  // Deliberately plain trial division by odd numbers: the point is CPU work to spread over workers.
  for (let d: i64 = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

/** Input: a chunk start. Output: [KEY, number of primes in the chunk], ready for the `total` aggregate. */
export function count(ptr: usize, len: usize): void {
  let start = inputInt(ptr, len);
  let found: i64 = 0;
  for (let n = start; n < start + CHUNK; n++) {
    if (isPrime(n)) found++;
  }
  output().array(2).string(KEY).int(found).emit(0);
}

/** Aggregate combine: input an array of counts, output their sum. */
export function sum(ptr: usize, len: usize): void {
  let counts = input(ptr, len).asArray();
  let total: i64 = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i].asInt();
  emitInt(0, total);
}
