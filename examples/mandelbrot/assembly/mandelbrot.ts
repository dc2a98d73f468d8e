// One row of the Mandelbrot set per call: input y (an integer), output [y, rowBytes] (800 RGB pixels).
// The exact algorithm is written down in ../README.md; keep the two in step.
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { inputInt, emit, Value } from "edge-grid/kit";

const WIDTH = 800;
const MAX_ITER = 256;
const X0 = -2.2;
const Y0 = -1.2;
const STEP = 0.004; // 800 × 0.004 = 3.2 wide, 600 × 0.004 = 2.4 high

/** Iterations before |z| > 2, at most MAX_ITER. */
function escapeTime(cr: f64, ci: f64): i32 {
  let zr = 0.0, zi = 0.0;
  let i = 0;
  while (i < MAX_ITER) {
    let zr2 = zr * zr;
    let zi2 = zi * zi;
    if (zr2 + zi2 > 4.0) break;
    zi = 2.0 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    i++;
  }
  return i;
}

export function render(ptr: usize, len: usize): void {
  let y = <i32>inputInt(ptr, len);
  let ci = Y0 + <f64>y * STEP;
  let row = new Uint8Array(WIDTH * 3);
  for (let x = 0; x < WIDTH; x++) {
    let i = escapeTime(X0 + <f64>x * STEP, ci);
    if (i == MAX_ITER) continue; // inside the set: black (the buffer starts zeroed)
    // Bernstein-polynomial palette on t = sqrt(i / MAX_ITER): deep blue → orange → pale yellow.
    let t = Math.sqrt(<f64>i / <f64>MAX_ITER);
    let u = 1.0 - t;
    row[x * 3] = <u8>(<i32>(9.0 * u * t * t * t * 255.0));
    row[x * 3 + 1] = <u8>(<i32>(15.0 * u * u * t * t * 255.0));
    row[x * 3 + 2] = <u8>(<i32>(8.5 * u * u * u * t * 255.0));
  }
  emit(0, Value.array([Value.int(y), Value.bytes(row)]));
}
