// Shared by the link tests: a hand-made coordinator on a real libp2p node (127.0.0.1) and an executor that
// does nothing. (Exports only: importing it starts nothing.)
import { FrameChannel } from '../../../core/protocol/frame-channel.js'
import { isWorkerMessage, JOB_PROTOCOL, JOB_PROTOCOL_VERSION, MAX_JOB_FRAME_BYTES } from '../../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../../core/protocol/job-messages.js'
import { newJoinNonce } from '../../../core/protocol/join-proof.js'
import type { Job, JobExecutor, JobOutcome } from '../../../core/jobs.js'
import type { PrivateKey } from '@libp2p/interface'
import type { GridNode } from '../../../node-peer/net/node.js'
import { startNode } from '../net/nodes.js'

export class IdleExecutor implements JobExecutor {
  readonly slots = 1
  async addModule (): Promise<void> {}
  hasModule (): boolean { return true }
  async run (batch: readonly Job[]): Promise<JobOutcome[]> { return batch.map(job => ({ id: job.id, ok: true, outputs: [] })) }
  async close (): Promise<void> {}
}

export type Kind = 'honest without secret' | 'garbage proof'

export interface Hello { readonly at: number, readonly session: WorkerMessage[] }

/** A hand-made coordinator: answers each hello as `kind` says and records each session's messages. */
export async function fakeCoordinator (kind: Kind, privateKey?: PrivateKey): Promise<{ node: GridNode, hellos: Hello[] }> {
  const node = await startNode(privateKey != null ? { privateKey } : {})
  const hellos: Hello[] = []
  await node.handle(JOB_PROTOCOL, stream => {
    const channel = new FrameChannel<WorkerMessage, CoordinatorMessage>(stream, { guard: isWorkerMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES })
    const session: WorkerMessage[] = []
    channel.onMessage(message => {
      session.push(message)
      if (message.t !== 'hello') return
      hellos.push({ at: performance.now(), session })
      if (kind === 'garbage proof') channel.send({ t: 'challenge', nonce: newJoinNonce(), proof: newJoinNonce() })
      else channel.send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: 'fake', run: 'fake-run' })
    })
  })
  return { node, hellos }
}
