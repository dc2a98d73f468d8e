/**
 * Side input values over gossipsub, `/edge-grid/side/1.0.0`: the fast path to every worker at once. Best
 * effort (a worker that missed it still gets the value on its job stream before any job that needs it, see
 * job-messages.ts), so workers keep whichever version is newest from either path.
 */
import { isBytes, isObject, isShortString } from './guards.js'

export const SIDE_TOPIC = '/edge-grid/side/1.0.0'
/** Larger values travel on job streams only: gossipsub's default message limit is about 1 MiB. */
export const MAX_GOSSIP_SIDE_BYTES = 256 * 1024

export interface SideGossip {
  readonly t: 'side'
  /** The run the value belongs to (a worker ignores values of another run). */
  readonly run: string
  readonly name: string
  readonly version: number
  readonly value: Uint8Array
}

export function isSideGossip (v: unknown): v is SideGossip {
  return isObject(v) && v.t === 'side' && isShortString(v.run) && isShortString(v.name) &&
    typeof v.version === 'number' && Number.isSafeInteger(v.version) && v.version > 0 && isBytes(v.value, MAX_GOSSIP_SIDE_BYTES)
}
