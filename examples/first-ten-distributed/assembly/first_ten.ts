// Hydroflow+'s first_ten_distributed: one process sends 0..9 to a second process, which prints them.
// Here the function is the identity; where it runs (a member of the "service" cluster) is what matters.
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { emitRaw } from "edge-grid/kit/abi";

/** Emits its input unchanged. */
export function receive(ptr: usize, len: usize): void {
  emitRaw(0, ptr, len);
}
