/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, or `npm run bench -- --profile DIR`): self time per
 * function and per package/file, heaviest first.
 *
 *   node dist/bench/profile-top.js FILE.cpuprofile [--top 30] [--inclusive]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string, readonly url: string, readonly lineNumber: number }
  readonly children?: readonly number[]
}
interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
  readonly startTime: number
  readonly endTime: number
}

/** node_modules/<pkg> or the repository-relative file, for grouping. */
function where (url: string): string {
  if (url === '') return '(native/VM)'
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (m != null) return m[1]
  const d = url.match(/\/dist\/(.*)$/)
  if (d != null) return d[1]
  return url.replace(/^file:\/\//, '')
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' }, inclusive: { type: 'boolean', default: false } } })
const top = Number(values.top)
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const total = (profile.endTime - profile.startTime) / 1000
  const byFn = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id)!
    const loc = where(callFrame.url)
    const fn = `${callFrame.functionName || '(anonymous)'}  ${loc}:${callFrame.lineNumber + 1}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + us / 1000)
    byFile.set(loc, (byFile.get(loc) ?? 0) + us / 1000)
  }
  const show = (title: string, map: Map<string, number>): void => {
    process.stdout.write(`\n${title}\n`)
    for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`${ms.toFixed(1).padStart(9)} ms ${(100 * ms / total).toFixed(1).padStart(5)} %  ${name}\n`)
    }
  }
  process.stdout.write(`${file}: ${total.toFixed(0)} ms profiled\n`)
  // inclusive time: each sample counts once for every distinct function on its stack
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inclusive = new Map<string, number>()
  for (const [id, us] of self) {
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur != null; cur = parent.get(cur)) {
      const { callFrame } = byId.get(cur)!
      if (callFrame.url === '' && callFrame.functionName.startsWith('(')) continue
      const key = `${callFrame.functionName || '(anonymous)'}  ${where(callFrame.url)}:${callFrame.lineNumber + 1}`
      if (seen.has(key)) continue
      seen.add(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + us / 1000)
    }
  }
  show('self time by file/package', byFile)
  show('self time by function', byFn)
  if (values.inclusive === true) show('inclusive time by function', inclusive)
}
