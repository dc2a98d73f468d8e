/** The Web Worker entry of the WebWorkerPool: the shared sandbox loop (core/executor/sandbox.ts) on the worker's scope. */
import type { FromSandbox, ToSandbox } from '../../../core/executor/messages.js'
import { serveSandbox } from '../../../core/executor/sandbox.js'

/** The part of DedicatedWorkerGlobalScope used here (the page's tsconfig has DOM types, not WebWorker ones). */
interface WorkerScope {
  postMessage: (message: FromSandbox, transfer: Transferable[]) => void
  addEventListener: (type: 'message', listener: (evt: MessageEvent<ToSandbox>) => void) => void
}
const scope = globalThis as unknown as WorkerScope

serveSandbox({
  post: (message, transfer = []) => { scope.postMessage(message, transfer) },
  onMessage: listener => { scope.addEventListener('message', evt => { listener(evt.data) }) }
})
