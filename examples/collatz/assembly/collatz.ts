// Feedback loop: follows each Collatz trajectory one step per call until it reaches 1.
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { input, inputReader, output, Value, fail } from "edge-grid/kit";

const NEXT = 0; // output port "next": [start, current, steps], fed back into this stage
const DONE = 1; // output port "done": [start, steps]

/** Input: a start n, or [start, current, steps] from a previous step. */
export function step(ptr: usize, len: usize): void {
  let r = inputReader(ptr, len);
  let start: i64, current: i64, steps: i64;
  if (r.isInt()) {
    start = r.int();
    current = start;
    steps = 0;
  } else {
    if (r.arrayHeader() != 3) fail("step: expected a start n or [start, current, steps]");
    start = r.int();
    current = r.int();
    steps = r.int();
  }
  r.finish();
  if (current < 1) fail("step: Collatz trajectories start at 1 or above, got " + current.toString());
  if (current == 1) {
    output().array(2).int(start).int(steps).emit(DONE);
    return;
  }
  let next = (current & 1) == 0 ? current >> 1 : 3 * current + 1;
  output().array(3).int(start).int(next).int(steps + 1).emit(NEXT);
}

/** [start, steps] → ["longest", [start, steps]]: one constant key, so `longest` folds everything together. */
export function keyed(ptr: usize, len: usize): void {
  let pair = input(ptr, len);
  output().array(2).string("longest").array(2).int(pair.at(0).asInt()).int(pair.at(1).asInt()).emit(0);
}

/** Aggregate combine: of [start, steps] pairs, the one with the most steps; on a tie, the smaller start. */
export function longest(ptr: usize, len: usize): void {
  let pairs = input(ptr, len).asArray();
  let best: Value = pairs[0];
  for (let i = 1; i < pairs.length; i++) {
    let p = pairs[i];
    let steps = p.at(1).asInt(), bestSteps = best.at(1).asInt();
    if (steps > bestSteps || (steps == bestSteps && p.at(0).asInt() < best.at(0).asInt())) best = p;
  }
  output().array(2).int(best.at(0).asInt()).int(best.at(1).asInt()).emit(0);
}
