/**
 * The edge-grid AssemblyScript kit (ABI v1), imported as "edge-grid/kit" from any folder. In your entry file:
 *
 *   export { grid_abi_1, grid_alloc } from "edge-grid/kit";
 *   import { inputInt, emitInt } from "edge-grid/kit";
 *   export function double(ptr: usize, len: usize): void { emitInt(0, inputInt(ptr, len) * 2); }
 *
 * and build it with `npx --no-install grid-build double.ts`, which resolves that name and sets the flags
 * (core/abi/README.md §7).
 */
export { grid_abi_1, grid_alloc, fail, gridAbort } from "./abi";
export { Kind, Value, kindName } from "./value";
export { Reader, describeTag } from "./reader";
export { Writer } from "./writer";
export {
  input, inputReader, inputInt, inputFloat, inputString, inputBytes,
  emit, output, emitInt, emitFloat, emitBool, emitNil, emitString, emitBytes, writeValue
} from "./io";
