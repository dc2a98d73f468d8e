/** Copies an example (flow, sources, built wasm) into a fresh temporary folder, so runs never touch the repo. */
import { cp, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './cli.js'

export async function copyExample (name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `edge-grid-${name}-`))
  await cp(join(repoRoot, 'examples', name), dir, {
    recursive: true,
    filter: src => !src.includes(`${join('examples', name, 'out')}`)
  })
  return dir
}
