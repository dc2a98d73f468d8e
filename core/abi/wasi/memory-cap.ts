/**
 * The memory cap of a WASI command. A command defines its own memory (ABI v1 modules import theirs, so the
 * host sets the maximum when it creates it); the JS API cannot limit a defined memory after the fact. So the
 * host rewrites the module's memory section before compiling: the maximum becomes the cap (or the module's
 * own maximum, if lower). Past it `memory.grow` returns -1, exactly as at an ABI v1 module's cap: `malloc`
 * returns NULL, Rust's allocator aborts (a trap). The module's content hash is that of the original bytes.
 */
import { ModuleRejectedError } from '../../errors.js'

export interface CappedModule {
  /** The module with its memory's maximum set to `maximumPages`. */
  readonly bytes: Uint8Array
  readonly minimumPages: number
  readonly maximumPages: number
}

const MEMORY_SECTION = 5

/** Returns the bytes with the first memory's maximum at most `capPages`; ModuleRejectedError when it cannot. */
export function capMemory (bytes: Uint8Array, capPages: number): CappedModule {
  let pos = 8 // magic + version
  const leb = (): number => {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= bytes.length) throw new ModuleRejectedError('is truncated')
      const b = bytes[pos++]
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
    }
    throw new ModuleRejectedError('has a malformed integer')
  }
  while (pos < bytes.length) {
    const sectionStart = pos
    const id = bytes[pos++]
    const size = leb()
    const contentStart = pos
    const end = contentStart + size
    if (id !== MEMORY_SECTION) {
      pos = end
      continue
    }
    const count = leb()
    if (count !== 1) throw new ModuleRejectedError(`defines ${count} memories; a WASI command has exactly one`)
    const flags = bytes[pos++]
    if (flags > 1) throw new ModuleRejectedError(`defines a shared or 64-bit memory (limits flags ${flags}), which the WASI host does not support`)
    const minimumPages = leb()
    const declaredMax = flags === 1 ? leb() : undefined
    if (pos !== end) throw new ModuleRejectedError('has a malformed memory section')
    if (minimumPages > capPages) {
      throw new ModuleRejectedError(`asks for ${minimumPages} memory pages at start, above the cap of ${capPages}`)
    }
    const maximumPages = Math.min(capPages, declaredMax ?? Infinity)
    // count (1), limits flags (1 = has a maximum), minimum, maximum
    const content = [...encodeLeb(1), 1, ...encodeLeb(minimumPages), ...encodeLeb(maximumPages)]
    const section = [MEMORY_SECTION, ...encodeLeb(content.length), ...content]
    const out = new Uint8Array(bytes.length - (end - sectionStart) + section.length)
    out.set(bytes.subarray(0, sectionStart), 0)
    out.set(section, sectionStart)
    out.set(bytes.subarray(end), sectionStart + section.length)
    return { bytes: out, minimumPages, maximumPages }
  }
  throw new ModuleRejectedError('defines no memory of its own; a WASI command defines and exports one')
}

function encodeLeb (n: number): number[] {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return out
}
