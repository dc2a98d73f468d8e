/**
 * The ceiling for a coordinator on this machine: a minimal hand-written dispatcher over raw TCP with
 * length-prefixed msgpack frames and pipelining. It starts `--workers` raw-tcp-worker processes, keeps
 * `--window` jobs in flight per worker (refilled as results come back, one write per refill), and checks
 * every result. Prints one JSON line: { jobs, elapsedMs, jobsPerSec, sum }.
 *
 * Not part of the product: it has none of the grid's duties (leases, retries, routing, sinks, security).
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import type { Socket } from 'node:net'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { decodeValue, encodeValue } from '../../core/codec.js'
import { frame, FrameReader } from './frames.js'

const { values } = parseArgs({
  options: {
    wasm: { type: 'string' },
    export: { type: 'string', default: 'double' },
    jobs: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '2' },
    window: { type: 'string', default: '2048' }
  }
})
const JOBS = Number(values.jobs)
const WORKERS = Number(values.workers)
const WINDOW = Number(values.window)
const workerScript = fileURLToPath(new URL('./raw-tcp-worker.js', import.meta.url))

interface Peer { readonly socket: Socket, outstanding: number }

const peers: Peer[] = []
let next = 0
let done = 0
let sum = 0
let started = 0

function fill (peer: Peer): void {
  const out: Buffer[] = []
  while (peer.outstanding < WINDOW && next < JOBS) {
    out.push(frame([next, encodeValue(next)]))
    next++
    peer.outstanding++
  }
  if (out.length > 0) peer.socket.write(Buffer.concat(out))
}

function finish (): void {
  const elapsedMs = performance.now() - started
  process.stdout.write(`${JSON.stringify({ jobs: done, elapsedMs, jobsPerSec: done / (elapsedMs / 1000), sum })}\n`)
  for (const peer of peers) peer.socket.end()
  server.close()
}

const server = createServer(socket => {
  socket.setNoDelay(true)
  const peer: Peer = { socket, outstanding: 0 }
  const reader = new FrameReader()
  let ready = false
  socket.on('data', (chunk: Buffer) => {
    for (const value of reader.push(chunk)) {
      if (!ready) {
        ready = true
        peers.push(peer)
        if (peers.length === WORKERS) {
          started = performance.now()
          for (const p of peers) fill(p)
        }
        continue
      }
      const [, bytes] = value as [number, Uint8Array]
      sum += decodeValue(bytes) as number
      peer.outstanding--
      done++
    }
    if (done === JOBS) finish()
    else if (started > 0) fill(peer)
  })
  socket.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : 0
  for (let i = 0; i < WORKERS; i++) {
    spawn(process.execPath, [workerScript, String(port), values.wasm!, values.export!], { stdio: 'inherit' })
  }
})
