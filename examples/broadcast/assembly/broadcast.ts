// Hydroflow+'s broadcast example: a leader broadcasts 0..9 to a cluster of workers, each prints every number.
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { emitRaw } from "edge-grid/kit/abi";

/** Emits its input unchanged: every member of the cluster runs it on every item. */
export function receive(ptr: usize, len: usize): void {
  emitRaw(0, ptr, len);
}
