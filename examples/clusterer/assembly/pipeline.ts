// clusterer's pipeline A → B → C → D: A generates a number, B squares it (slowly: the bottleneck that gets
// more instances), C subtracts one, D prints (a stdout sink on the coordinator).
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { input, inputInt, output, fail } from "edge-grid/kit";

/** Work of one B job: a fixed number of xorshift rounds, about 20 ms on a 2020s laptop core. */
const SPIN_ROUNDS: i32 = 20_000_000;

function xorshift(x: u32): u32 {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

/** A: index i → [i, number] with number in 1..10, pseudo-random but repeatable (functions are pure). */
export function generate(ptr: usize, len: usize): void {
  const i = inputInt(ptr, len);
  const number = <i64>(xorshift(<u32>(i * 2654435761 + 1)) % 10) + 1;
  output().array(2).int(i).int(number).emit(0);
}

/** B: [i, n] → [i, n * n], after SPIN_ROUNDS of busy work (clusterer's "takes long"). */
export function square(ptr: usize, len: usize): void {
  const pair = input(ptr, len).asArray();
  const i = pair[0].asInt();
  const n = pair[1].asInt();
  let x: u32 = <u32>n + 1;
  for (let r = 0; r < SPIN_ROUNDS; r++) x = xorshift(x);
  // keeps the loop from being optimised away; xorshift never reaches 0 from a non-zero seed
  if (x == 0) fail("xorshift reached 0");
  output().array(2).int(i).int(n * n).emit(0);
}

/** C: [i, s] → [i, s - 1]. */
export function subtract1(ptr: usize, len: usize): void {
  const pair = input(ptr, len).asArray();
  output().array(2).int(pair[0].asInt()).int(pair[1].asInt() - 1).emit(0);
}
