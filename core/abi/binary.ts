/**
 * Reads the limits of the `env.memory` import from a module's bytes. The JS API does not expose import
 * limits, and the host must create a memory the module accepts: initial ≥ the module's minimum and
 * maximum ≤ the module's own maximum (if it declares one).
 */
import { ModuleRejectedError } from '../errors.js'
import { MEMORY_IMPORT } from './abi.js'

export interface MemoryLimits {
  readonly minimumPages: number
  readonly maximumPages?: number
}

const IMPORT_SECTION = 2
const utf8 = new TextDecoder()

export function memoryImportLimits (bytes: Uint8Array): MemoryLimits | undefined {
  let pos = 8 // magic + version
  const u8 = (): number => {
    if (pos >= bytes.length) throw new ModuleRejectedError('is truncated')
    return bytes[pos++]
  }
  const leb = (): number => {
    let result = 0
    let shift = 0
    for (let i = 0; i < 10; i++) {
      const b = u8()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
    }
    throw new ModuleRejectedError('has a malformed integer')
  }
  const name = (): string => {
    const len = leb()
    const s = utf8.decode(bytes.subarray(pos, pos + len))
    pos += len
    return s
  }
  const limits = (): MemoryLimits => {
    const flags = u8()
    const minimumPages = leb()
    return (flags & 1) === 1 ? { minimumPages, maximumPages: leb() } : { minimumPages }
  }
  while (pos < bytes.length) {
    const id = u8()
    const size = leb()
    const end = pos + size
    if (id !== IMPORT_SECTION) {
      pos = end
      continue
    }
    const count = leb()
    for (let i = 0; i < count; i++) {
      const module = name()
      const field = name()
      const kind = u8()
      switch (kind) {
        case 0: leb(); break // function: type index
        case 1: u8(); limits(); break // table: reftype + limits
        case 2: {
          const lim = limits()
          if (module === MEMORY_IMPORT.module && field === MEMORY_IMPORT.name) return lim
          break
        }
        case 3: u8(); u8(); break // global: valtype + mutability
        case 4: u8(); leb(); break // tag
        default: throw new ModuleRejectedError(`has an import of unknown kind ${kind}`)
      }
    }
    return undefined
  }
  return undefined
}
