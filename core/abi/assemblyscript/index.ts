/**
 * The edge-grid AssemblyScript kit (ABI v1). In your entry file:
 *
 *   export { grid_abi_1, grid_alloc } from "../../../core/abi/assemblyscript";
 *   import { inputInt, emitInt } from "../../../core/abi/assemblyscript";
 *   export function double(ptr: usize, len: usize): void { emitInt(0, inputInt(ptr, len) * 2); }
 *
 * and compile with the flags in core/abi/README.md (examples/build-examples.ts sets them).
 */
export { grid_abi_1, grid_alloc, fail, gridAbort } from "./abi";
export { Kind, Value, kindName } from "./value";
export { Reader, describeTag } from "./reader";
export { Writer } from "./writer";
export {
  input, inputReader, inputInt, inputFloat, inputString, inputBytes,
  emit, output, emitInt, emitFloat, emitBool, emitNil, emitString, emitBytes, writeValue
} from "./io";
