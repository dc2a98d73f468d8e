/**
 * What to say when a function's .wasm file does not exist. The usual cause is a module that was never built
 * (a fresh checkout, a new function), so the message says how to build it: the repository's examples with
 * `npm run build:wasm`, anything else with `grid-build`, naming the source file when a same-named `.ts` or
 * `.wat` sits near the missing module (where examples/build-examples.ts and most projects keep them).
 *
 * Platform-neutral: paths are plain strings (either separator), and file access is the validator's `exists`.
 */

/** The `grid-build` bin of node-peer/package.json; `--no-install` so npx never fetches a registry package of that name. */
export const BUILD_COMMAND = 'npx --no-install grid-build'

export interface SourceLookup {
  exists (path: string): Promise<boolean>
}

interface PathParts {
  /** the folder, without a trailing separator */
  readonly dir: string
  /** the file name without `.wasm` */
  readonly base: string
  readonly sep: string
}

function split (path: string): PathParts | undefined {
  const at = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  if (at < 0) return undefined
  const name = path.slice(at + 1)
  return { dir: path.slice(0, at), base: name.replace(/\.wasm$/i, ''), sep: path[at] }
}

/** The folder holding `dir` ('' when `dir` is a root). */
function parent (dir: string): string | undefined {
  const at = Math.max(dir.lastIndexOf('/'), dir.lastIndexOf('\\'))
  return at < 0 ? undefined : dir.slice(0, at)
}

/**
 * Where a module's source usually lives, closest first: next to the module, in its `assembly/` folder, then
 * the same one level up (the examples' layout: `build/x.wasm` from `assembly/x.ts` or `x.wat`).
 */
export function sourceCandidates (wasm: string): string[] {
  const p = split(wasm)
  if (p === undefined || p.base === '') return []
  const dirs = [p.dir]
  const up = parent(p.dir)
  if (up !== undefined && up !== '') dirs.push(up)
  return dirs.flatMap(dir => [
    `${dir}${p.sep}${p.base}.ts`,
    `${dir}${p.sep}${p.base}.wat`,
    `${dir}${p.sep}assembly${p.sep}${p.base}.ts`
  ])
}

/**
 * The repository root when `wasm` is an example's output (`<root>/examples/<name>/build/<file>.wasm`, and
 * `<root>/examples/build-examples.ts` exists), else undefined.
 */
async function exampleRoot (wasm: string, files: SourceLookup): Promise<string | undefined> {
  const m = /^(.*)[/\\]examples([/\\])[^/\\]+[/\\]build[/\\][^/\\]+\.wasm$/i.exec(wasm)
  if (m === null) return undefined
  const root = m[1]
  return await files.exists(`${root}${m[2]}examples${m[2]}build-examples.ts`) ? root : undefined
}

/**
 * The end of the "does not exist" message: `; it may not be built yet: …`. Never throws: a failing lookup
 * only makes the hint less specific.
 */
export async function notBuiltHint (wasm: string, files: SourceLookup): Promise<string> {
  let source: string | undefined
  let root: string | undefined
  try {
    for (const candidate of sourceCandidates(wasm)) {
      if (await files.exists(candidate)) {
        source = candidate
        break
      }
    }
    root = await exampleRoot(wasm, files)
  } catch {
    // no hint about the source, the generic one stays true
  }
  if (root !== undefined) {
    const from = source !== undefined ? `, this one from ${source}` : ''
    return `; it may not be built yet: run \`npm run build:wasm\` in ${root} (it builds every example${from})`
  }
  if (source !== undefined) {
    return `; it may not be built yet: build it from its source ${source} with \`${BUILD_COMMAND} ${source} -o ${wasm}\``
  }
  return `; if it is not built yet, build it from its source with \`${BUILD_COMMAND} <source>.ts -o ${wasm}\` (the repository's examples: \`npm run build:wasm\`)`
}
