/**
 * Worker of the raw-TCP baseline (argv: port, wasm path, export): connects to the dispatcher, runs each job's
 * input through the same WASM function with the product's ABI host, in this process's main thread (no pool),
 * and answers all jobs of a received chunk with one socket write.
 */
import { connect } from 'node:net'
import { readFile } from 'node:fs/promises'
import { compileModule, FunctionInstance } from '../../core/abi/host.js'
import { frame, FrameReader } from './frames.js'

const [port, wasmPath, exportName] = process.argv.slice(2)
const compiled = await compileModule(new Uint8Array(await readFile(wasmPath)))
const instance = await FunctionInstance.instantiate(compiled.module, compiled.memory)
const socket = connect(Number(port), '127.0.0.1')
socket.setNoDelay(true)
const reader = new FrameReader()
socket.on('connect', () => { socket.write(frame({ ready: true })) })
socket.on('data', (chunk: Buffer) => {
  const out: Buffer[] = []
  for (const job of reader.push(chunk) as Array<[number, Uint8Array]>) {
    const outputs = instance.call(exportName, job[1])
    out.push(frame([job[0], outputs[0].bytes]))
  }
  if (out.length > 0) socket.write(out.length === 1 ? out[0] : Buffer.concat(out))
})
socket.on('error', () => { process.exit(1) })
socket.on('close', () => { process.exit(0) })
