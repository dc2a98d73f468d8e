/**
 * A worker's CPU per item on range chunks, without the network: the bench's `double` over range chunks through
 * the real ThreadPool (one thread), each outcome encoded as the job stream would send it (outcomeToWire +
 * msgpack). CPU is the whole process's (process.cpuUsage: the thread, the pool's unpacking and the encoding),
 * so other load on the machine does not count; `in thread` is the sandbox's own loop time (the outcomes' `ms`).
 * Compared with `loop`: as bench/baselines/loop.ts, per item encodeValue, FunctionInstance.call, decodeValue, in this thread.
 * `stages` > 1 chains that many `double`s (each chunk through all of them on the thread, chain-chunk.ts).
 *
 *   node dist/bench/chunk-cost.js [items] [chunkItems] [stages]     (defaults: 1M items, chunks of 32768, 1 stage)
 */
import { ThreadPool } from '../node-peer/executor/pool.js'
import { sha256Hex } from '../core/abi/host.js'
import { decodeValue, encodeValue } from '../core/codec.js'
import { outcomeToWire } from '../core/protocol/job-messages.js'
import { encodeRangeChunk } from '../core/run/chunks.js'
import { assembleBenchWat, benchInstance } from './lib/fixtures.js'

const items = Number(process.argv[2] ?? 1_000_000)
const chunkItems = Number(process.argv[3] ?? 32768)
const stages = Number(process.argv[4] ?? 1)
const wasm = await assembleBenchWat()
const hash = await sha256Hex(wasm)
const pool = new ThreadPool({ threads: 1 })
await pool.addModule(hash, wasm)

const fn = { module: hash, export: 'double' }
const chain = Array.from({ length: stages - 1 }, () => fn)

async function pass (): Promise<{ cpuUs: number, threadMs: number, bytes: number }> {
  const cpu = process.cpuUsage()
  let threadMs = 0
  let bytes = 0
  let id = 0
  for (let start = 0; start < items; start += 2 * chunkItems) {
    // two chunks in flight, as a worker's credits keep its thread fed
    const jobs = [0, 1].map(k => ({ id: ++id, fn, input: encodeRangeChunk({ start: start + k * chunkItems, count: chunkItems, step: 1 }), timeoutMs: 60_000, chunk: 'range' as const, ...(chain.length > 0 ? { chain } : {}) }))
    const outcomes = await Promise.all(jobs.map(async job => (await pool.run([job]))[0]))
    for (const outcome of outcomes) {
      if (!outcome.ok) throw new Error(outcome.error.message)
      threadMs += outcome.ms ?? 0
      bytes += encodeValue({ t: 'results', results: [outcomeToWire(outcome)] }).length
    }
  }
  const used = process.cpuUsage(cpu)
  return { cpuUs: used.user + used.system, threadMs, bytes }
}

await pass() // warm-up: tier-up, the thread's heap
const measured = await pass()
const done = Math.ceil(items / (2 * chunkItems)) * 2 * chunkItems
await pool.close()

const instance = await benchInstance(wasm)
for (let i = 0; i < 100_000; i++) instance.call('double', encodeValue(i))
const loopCpu = process.cpuUsage()
for (let i = 0; i < done; i++) {
  let value = i
  for (let k = 0; k < stages; k++) value = decodeValue(instance.call('double', encodeValue(value))[0].bytes) as number
}
const loopUsed = process.cpuUsage(loopCpu)

const perItem = (us: number): string => `${(us / done).toFixed(3)} µs/item`
console.log(`${done} items in chunks of ${chunkItems}, ${stages} stage(s), Node ${process.version}`)
console.log(`pool + wire encoding, process CPU  ${perItem(measured.cpuUs)}`)
console.log(`sandbox loop (outcome ms)          ${perItem(measured.threadMs * 1000)}`)
console.log(`in-process loop (call per item)    ${perItem(loopUsed.user + loopUsed.system)}`)
console.log(`wire bytes per item                ${(measured.bytes / done).toFixed(2)}`)
