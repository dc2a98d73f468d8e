/**
 * Submitting a run, or attaching to one, and keeping the client attached: when the stream closes before the
 * run ended (the connection dropped, the coordinator was restarted), the link opens a new stream and attaches
 * again, for as long as the client's reconnect window allows; the coordinator sends again what was not
 * acknowledged, so nothing is lost or written twice.
 */
import { loadFlow } from '../../core/flow/validate.js'
import type { FlowSpec } from '../../core/flow/model.js'
import type { ClientMessage, GridMessage } from '../../core/protocol/submit-messages.js'
import { nodeFlowFiles } from '../flow-files.js'
import { ClientRun } from './client-run.js'
import type { ClientRunComponents } from './client-run.js'
import { answerError, GridUnreachableError, SubmitRefusedError } from './grid-client.js'
import type { GridClient } from './grid-client.js'
import type { Submission } from './submission.js'

export interface SubmitOptions {
  /** Weight in the fair share of workers among the runs going on (1–100, default 1). */
  readonly priority?: number
  /** Keep the run going when this client goes away (attach again with its run id). */
  readonly detach?: boolean
}

/** The flow was refused by the coordinator's own validation (or a module could not be fetched). */
export class SubmittedFlowInvalidError extends SubmitRefusedError {
  static override name = 'SubmittedFlowInvalidError'
}

type Components = (spec: FlowSpec) => ClientRunComponents

/** How long a submit or attach keeps trying to reach the coordinator at first. */
const FIRST_CONTACT_MS = 10_000

/** Submits a validated flow; resolves once the coordinator accepted it. */
export async function submitRun (client: GridClient, submission: Submission, options: SubmitOptions, components: Components): Promise<ClientRun> {
  const { plan, files } = submission
  client.offerModules(plan.modules)
  return await link(client, components, (send) => {
    send({ t: 'submit', file: plan.file, text: plan.text, files, priority: options.priority ?? 1, detach: options.detach === true })
  }, () => plan.spec)
}

/** Attaches to a run this client submitted earlier (from this process or another one on this machine). */
export async function attachRun (client: GridClient, runId: string, components: Components): Promise<ClientRun> {
  let spec: FlowSpec | undefined
  return await link(client, components, send => { send({ t: 'attach', run: runId }) }, () => spec, async message => {
    // the run's files are this machine's: its flow is loaded from them as the coordinator has it
    const loaded = await loadFlow(message.file, message.text, nodeFlowFiles)
    spec = loaded.spec
  })
}

async function link (
  client: GridClient,
  components: Components,
  request: (send: (m: ClientMessage) => void) => void,
  specOf: () => FlowSpec | undefined,
  onAttached?: (message: Extract<GridMessage, { t: 'attached' }>) => Promise<void>
): Promise<ClientRun> {
  let run: ClientRun | undefined
  let answer!: { resolve: (run: ClientRun) => void, reject: (err: Error) => void }
  const first = new Promise<ClientRun>((resolve, reject) => { answer = { resolve, reject } })
  // messages of the run that arrive while `attached` is being handled wait here, in order
  let early: GridMessage[] | undefined = []
  const onMessage = (message: GridMessage): void => {
    if (run != null) {
      // a re-attach refused (a restarted coordinator did not keep the run: no --state, or fed from code): it is over
      if (message.t === 'refused' && (message.kind === 'unknown-run' || message.kind === 'not-yours')) void run.abandon(`the coordinator no longer has run ${run.runId}: ${message.reason}`)
      else if (message.t !== 'attached' && message.t !== 'accepted') run.receive(message)
      return
    }
    if (message.t === 'accepted' || message.t === 'attached') {
      const started = async (): Promise<void> => {
        if (message.t === 'attached') await onAttached?.(message)
        run = new ClientRun(message.run, message.flow, components(specOf()!))
        run.use(channel)
        for (const m of early ?? []) run.receive(m)
        early = undefined
        answer.resolve(run)
        keepAttached(client, run, channel, onMessage)
      }
      started().catch(err => { answer.reject(err) })
      return
    }
    if (early != null && (message.t === 'source-open' || message.t === 'pull' || message.t === 'sink' || message.t === 'progress' || message.t === 'done' || message.t === 'cancelled')) {
      early.push(message)
      return
    }
    const err = answerError(message)
    answer.reject(err != null && message.t === 'invalid' ? new SubmittedFlowInvalidError('invalid', err.message) : err ?? new SubmitRefusedError('protocol', `unexpected \`${message.t}\``))
  }
  // a coordinator that is busy admitting others may turn a new connection away: try again for a few seconds
  const channel = await client.reopen(onMessage, undefined, FIRST_CONTACT_MS)
  channel.onClose(() => { if (run == null) answer.reject(new GridUnreachableError('the coordinator closed the stream before answering')) })
  request(m => { channel.send(m) })
  try {
    return await first
  } catch (err) {
    await channel.close().catch(() => {})
    throw err
  }
}

/** Re-attaches after the stream closes while the run is not over; abandons the run when that fails for good. */
function keepAttached (client: GridClient, run: ClientRun, channel: { onClose: (h: () => void) => void, close: () => Promise<void> }, onMessage: (m: GridMessage) => void): void {
  // the run's stream ends with the run: a long-lived client must not pile up open streams
  void run.outcome.then(async () => { await channel.close().catch(() => {}) })
  channel.onClose(() => {
    if (run.ended) return
    run.use(undefined)
    client.reopen(onMessage).then(next => {
      if (run.ended) {
        void next.close()
        return
      }
      run.use(next)
      next.send({ t: 'attach', run: run.runId })
      keepAttached(client, run, next, onMessage)
    }, (err: Error) => { void run.abandon(`lost the coordinator: ${err.message}`) })
  })
}
