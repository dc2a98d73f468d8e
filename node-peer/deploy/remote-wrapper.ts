/**
 * The command line an SSH host runs for a service: a POSIX `sh` wrapper around `node FILE ARGS`.
 *
 * - It prints the program's pid first (PID_MARK), so stopping kills exactly that process (`kill -INT PID`
 *   over ssh), and its exit status last (EXIT_MARK: `ssh` alone cannot tell "killed by SIGKILL" from "the
 *   connection dropped").
 * - The program's stdin is the SSH session's: started `--attached`, it leaves when that closes. So when
 *   grid-deploy is killed, or the connection is lost, the remote service ends too: nothing stays running.
 *   (The wrapper hands its stdin over explicitly: `sh` would give a background job /dev/null.)
 * - A secret is read from a file in the service's folder into the environment, never put on a command line
 *   that anyone on the host can read with `ps`.
 */
import { shQuote } from './ssh.js'

export const PID_MARK = '@@edge-grid-deploy-pid'
export const EXIT_MARK = '@@edge-grid-deploy-exit'

export interface RemoteCommand {
  /** The service's folder on the host (made by `mktemp -d`). */
  readonly dir: string
  /** The node binary on the host. */
  readonly node: string
  /** The program, relative to `dir`, and its arguments. */
  readonly file: string
  readonly args: readonly string[]
  /** Environment variables whose values are read from files in `dir` (name → file). */
  readonly secretFiles?: Readonly<Record<string, string>>
}

export function remoteCommand ({ dir, node, file, args, secretFiles = {} }: RemoteCommand): string {
  const script = [
    `cd ${shQuote(dir)} || exit 97`,
    ...Object.entries(secretFiles).map(([name, f]) => `${name}="$(cat ${shQuote(f)})"; export ${name}`),
    'exec 3<&0',
    `${shQuote(node)} ${[file, ...args].map(shQuote).join(' ')} <&3 3<&- &`,
    'pid=$!',
    'exec 3<&-',
    `echo "${PID_MARK} $pid"`,
    'wait $pid',
    'code=$?',
    `echo "${EXIT_MARK} $code" >&2`,
    'exit $code'
  ].join('\n')
  // the login shell may be any shell: hand the script to sh
  return `exec sh -c ${shQuote(script)}`
}
