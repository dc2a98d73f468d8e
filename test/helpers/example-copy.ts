/** Copies an example (flow, sources, built wasm) into a fresh temporary folder, so runs never touch the repo. */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
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

/** The collatz example with its starts running to `end` (exclusive): a longer run (50,001: ~25 s on one thread). */
export async function copyCollatz (end: number): Promise<string> {
  const dir = await copyExample('collatz')
  const flow = JSON.parse(await readFile(join(dir, 'flow.json'), 'utf8'))
  flow.sources.starts.end = end
  await writeFile(join(dir, 'flow.json'), JSON.stringify(flow, null, 2))
  return dir
}
