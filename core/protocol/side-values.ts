/**
 * Side inputs (broadcast streams): named values that every worker holds, the latest item of a stream.
 * A stage with `"sideInput": "params"` receives `[item, current value of params]` as its function's input;
 * the value travels to each worker once per version (over the job stream before the jobs that need it, and
 * over gossipsub for speed), not with every job.
 */
import { packArray } from '../util/msgpack-bytes.js'

/** msgpack nil: the value of a side input whose stream ended without any item. */
const NIL = Uint8Array.of(0xc0)

export interface SideValue {
  readonly version: number
  readonly bytes: Uint8Array
}

/** The latest value of each side input, with a version that grows by one per update. */
export class SideValues {
  private readonly values = new Map<string, SideValue>()

  get (name: string): SideValue | undefined {
    return this.values.get(name)
  }

  /** Sets a new value; returns its version. */
  set (name: string, bytes: Uint8Array): number {
    const version = (this.values.get(name)?.version ?? 0) + 1
    this.values.set(name, { version, bytes })
    return version
  }

  /** Keeps `value` if it is newer than what is held (values may arrive by two paths, in any order). */
  offer (name: string, value: SideValue): boolean {
    const held = this.values.get(name)
    if (held != null && held.version >= value.version) return false
    this.values.set(name, value)
    return true
  }
}

/** The function input of a job of a stage with a side input: `[item, value]` (value nil if there is none). */
export function withSideValue (input: Uint8Array, value: Uint8Array | undefined): Uint8Array {
  return packArray([input, value ?? NIL])
}
