/**
 * Script run once in every JS function's context, before the function's module: makes `Math.random` and
 * `Date` deterministic per job and defines `emit`. It evaluates to the host's two entry points, kept out of
 * the function's reach (nothing is left on `globalThis` but `emit`).
 *
 * - `Math.random()`: sfc32 seeded per call by the host from the job's input bytes (core/abi/wasi/
 *   seeded-random.ts, as WASI's random_get): every replica and retry of a job sees the same numbers.
 * - `Date.now()`, `new Date()`: a fixed clock that starts at 2000-01-01T00:00:00Z on each call and advances
 *   1 ms per reading (so waiting loops end, and every run reads the same times).
 * - `emit(port, value)`: one output on output port `port` (an integer 0…255, indexing the stage's
 *   `outputs`), before whatever the function returns.
 * - call(f, json, s0, s1, s2) → JSON text of [[port, value], …]: the emitted outputs, then the returned ones
 *   (undefined: none; an array: each element on port 0; anything else: one output on port 0).
 */
export const PRELUDE = String.raw`(() => {
  'use strict'
  const RealDate = globalThis.Date
  const EPOCH = 946684800000
  let clock = 0
  let a = 0; let b = 0; let c = 0; let d = 1
  let outs = null
  const next = () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  Math.random = function random () { return next() / 4294967296 }
  const now = () => EPOCH + clock++
  function GridDate (...args) {
    if (new.target === undefined) return new RealDate(now()).toString()
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target)
  }
  GridDate.prototype = RealDate.prototype
  Object.defineProperty(RealDate.prototype, 'constructor', { value: GridDate, writable: true, configurable: true })
  GridDate.now = function now_ () { return now() }
  GridDate.UTC = RealDate.UTC
  GridDate.parse = RealDate.parse
  globalThis.Date = GridDate
  globalThis.emit = function emit (port, value) {
    if (outs === null) throw new Error('emit() is only for use during a call')
    if (!Number.isInteger(port) || port < 0 || port > 255) throw new RangeError('emit(port, value): port must be an integer 0…255, got ' + String(port))
    outs.push([port, value])
  }
  const call = (f, json, s0, s1, s2) => {
    a = s0; b = s1; c = s2; d = 1; clock = 0; outs = []
    try {
      const result = f(JSON.parse(json))
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        throw new TypeError('the function returned a Promise: JS functions are synchronous (no async, no await)')
      }
      if (Array.isArray(result)) for (const v of result) outs.push([0, v])
      else if (result !== undefined) outs.push([0, result])
      const text = JSON.stringify(outs, (k, v) => {
        if (typeof v === 'bigint') throw new TypeError('a BigInt cannot be an output (values cross as JSON)')
        if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) throw new TypeError('a typed array cannot be an output (values cross as JSON): use an array of numbers')
        return v
      })
      return text
    } finally {
      outs = null
    }
  }
  const functions = ns => Object.keys(ns).filter(k => typeof ns[k] === 'function')
  return { call, functions }
})()`
