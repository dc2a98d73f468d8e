/** The worker_threads entry of the ThreadPool: the shared sandbox loop (core/executor/sandbox.ts) on parentPort. */
import { parentPort } from 'node:worker_threads'
import type { ToSandbox } from '../../core/executor/messages.js'
import { serveSandbox } from '../../core/executor/sandbox.js'

if (parentPort == null) throw new Error('node-peer/executor/thread.js is a worker_threads entry, not a program')
const port = parentPort
serveSandbox({
  post: (message, transfer) => { port.postMessage(message, transfer) },
  onMessage: listener => { port.on('message', (message: ToSandbox) => { listener(message) }) }
})
