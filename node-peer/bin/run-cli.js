// Shared by the bin scripts: loads a compiled CLI module, runs its main(argv), sets the exit code.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export async function runCli (relative, name) {
  const url = new URL(relative, import.meta.url)
  if (!existsSync(fileURLToPath(url))) {
    process.stderr.write(`${name}: the compiled code is missing (${fileURLToPath(url)}).\nRun "npm install" (or "npm run build") in the edge-grid folder first.\n`)
    process.exit(2)
  }
  const cli = await import(url.href)
  process.exitCode = await cli.main(process.argv.slice(2))
}
