/**
 * When a WASI command's instance may serve another call (core/abi/README.md, "WASI commands": instance reuse).
 *
 * A command's whole state is its linear memory, its mutable globals and its tables. The host snapshots the
 * memory of a fresh instance before `_start` and restores it after a call, which leaves the globals: C and
 * Rust (wasm-ld) modules have exactly one mutable global, `__stack_pointer`, and a `_start` that returns
 * normally has restored it (every function's epilogue does). So an instance is reused only when the module
 * has at most one mutable global, `_start` returned normally (not `proc_exit`, not a trap), and memory did not
 * grow (a fresh instance starts smaller, and `malloc` sees the size). Anything else gets a fresh instance.
 * Tables are assumed unchanged: C and Rust do not write them at run time.
 */
const GLOBAL_SECTION = 6

/** Mutable globals the module defines, or undefined when its global section cannot be read here. */
export function mutableGlobalCount (bytes: Uint8Array): number | undefined {
  let pos = 8
  const uleb = (): number => {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const b = bytes[pos++]
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
    }
    return NaN
  }
  const skipLeb = (): void => { while ((bytes[pos++] & 0x80) !== 0 && pos < bytes.length); }
  while (pos < bytes.length) {
    const id = bytes[pos++]
    const size = uleb()
    const end = pos + size
    if (id !== GLOBAL_SECTION) {
      pos = end
      continue
    }
    const count = uleb()
    let mutable = 0
    for (let i = 0; i < count; i++) {
      pos++ // value type
      if (bytes[pos++] === 1) mutable++
      for (;;) { // the constant initializer, up to `end`
        const op = bytes[pos++]
        if (op === 0x0b) break
        if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) skipLeb()
        else if (op === 0x43) pos += 4
        else if (op === 0x44) pos += 8
        else if (op === 0xd0) pos += 1
        else if (![0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e].includes(op)) return undefined
        if (pos > end) return undefined
      }
    }
    return pos === end ? mutable : undefined
  }
  return 0
}
