/**
 * The guest side of edge-grid ABI v1 for AssemblyScript: the two host imports, the version marker, the
 * input allocator and the abort handler. See core/abi/README.md for the contract.
 */

// The only imports a module may have (besides `env.memory`, which `--importMemory` provides).
// @ts-ignore: decorator
@external("grid", "emit")
declare function gridEmit(port: i32, ptr: usize, len: usize): void;
// @ts-ignore: decorator
@external("grid", "fail")
declare function gridFail(ptr: usize, len: usize): void;

/** Marker export declaring ABI v1; re-export it from your entry file. */
export const grid_abi_1: i32 = 1;

/** The buffer holding the current call's input; freed when the next call's input is allocated. */
let inputBuffer: usize = 0;

/**
 * Called by the host before every call, with the size of the msgpack-encoded input. The previous input is
 * freed here, so at most one input buffer is alive and decoded values (copies) never point into it.
 */
export function grid_alloc(size: usize): usize {
  if (inputBuffer != 0) heap.free(inputBuffer);
  // The minimal runtime only collects when asked; between calls the stack is unwound, so this is the safe spot.
  if (ASC_RUNTIME == 1) __collect();
  inputBuffer = heap.alloc(size > 0 ? size : 1);
  return inputBuffer;
}

/** Sends `len` bytes at `ptr` (one msgpack value) as an output on port `port`. */
export function emitRaw(port: i32, ptr: usize, len: usize): void {
  gridEmit(port, ptr, len);
}

// Messages are written into static memory, never the heap: `fail` must work when the heap is exhausted.
const MESSAGE_CAPACITY: usize = 2048;
const messageBuffer: usize = memory.data(<i32>MESSAGE_CAPACITY);
let messageLength: usize = 0;

function appendString(s: string, maxUnits: i32): void {
  let units = min(s.length, maxUnits);
  // UTF-8 needs at most 3 bytes per UTF-16 unit; keep 16 bytes for the location suffix.
  let room = (<i32>MESSAGE_CAPACITY - 16 - <i32>messageLength) / 3;
  if (units > room) units = max(room, 0);
  messageLength += String.UTF8.encodeUnsafe(changetype<usize>(s), units, messageBuffer + messageLength);
}

function appendAscii(s: string): void {
  appendString(s, 64);
}

function appendNumber(n: u32): void {
  let digits = 1;
  for (let t = n; t >= 10; t /= 10) digits++;
  if (messageLength + <usize>digits > MESSAGE_CAPACITY) return;
  for (let i = digits - 1, t = n; i >= 0; i--, t /= 10) {
    store<u8>(messageBuffer + messageLength + <usize>i, <u8>(48 + t % 10));
  }
  messageLength += <usize>digits;
}

/** Ends the call as a failed job with `message` (UTF-8, truncated to about 600 characters). Does not return. */
export function fail(message: string): void {
  messageLength = 0;
  appendString(message, 600);
  gridFail(messageBuffer, messageLength);
  unreachable();
}

/**
 * Replaces AssemblyScript's `abort` (wired by grid-build with `--use abort=~lib/edge-grid/kit/abi/gridAbort`): assert,
 * `throw`, bounds checks and failed casts become `grid.fail("<message> at <file>:<line>:<column>")`, and the
 * module does not import `env.abort`. Allocates nothing, so it also reports out-of-memory aborts.
 */
export function gridAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  messageLength = 0;
  if (message !== null) appendString(message, 400);
  else appendAscii("abort");
  if (fileName !== null) {
    appendAscii(" at ");
    appendString(fileName, 150);
    appendAscii(":");
    appendNumber(line);
    appendAscii(":");
    appendNumber(column);
  }
  gridFail(messageBuffer, messageLength);
  unreachable();
}
