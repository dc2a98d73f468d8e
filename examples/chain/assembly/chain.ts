// Chained stages: three cheap map stages in a row. The range is handed out as chunks and each chunk goes
// through square → digitsum → select on one worker in one job (README, "Execution semantics": Chains).
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { inputInt, inputReader, output, fail } from "edge-grid/kit";

/** n → [n, n²] */
export function square(ptr: usize, len: usize): void {
  let n = inputInt(ptr, len);
  output().array(2).int(n).int(n * n).emit(0);
}

/** [n, s] → [n, the sum of the decimal digits of s] */
export function digitsum(ptr: usize, len: usize): void {
  let r = inputReader(ptr, len);
  if (r.arrayHeader() != 2) fail("digitsum: expected [n, square]");
  let n = r.int();
  let s = r.int();
  r.finish();
  if (s < 0) fail("digitsum: expected a square, got " + s.toString());
  let sum: i64 = 0;
  while (s > 0) {
    sum += s % 10;
    s /= 10;
  }
  output().array(2).int(n).int(sum).emit(0);
}

/** A filter: [n, d] passes when d is a multiple of 13, and nothing is emitted otherwise. */
export function select(ptr: usize, len: usize): void {
  let r = inputReader(ptr, len);
  if (r.arrayHeader() != 2) fail("select: expected [n, digit sum]");
  let n = r.int();
  let d = r.int();
  r.finish();
  if (d % 13 == 0) output().array(2).int(n).int(d).emit(0);
}
