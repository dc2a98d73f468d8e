import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// core/ is shared by the Node peers and the browser page: it may not reach for Node or DOM APIs.
const coreDir = fileURLToPath(new URL('../../../core/', import.meta.url))
const forbidden: Array<[RegExp, string]> = [
  [/from ['"]node:/, 'a node: import'],
  [/from ['"](fs|path|os|net|tls|http|https|crypto|worker_threads|child_process|stream|events|util|url|buffer)['"]/, 'a Node built-in import'],
  [/\bprocess\.(env|argv|exit|on|stdout|stderr|cwd)\b/, 'the Node process object'],
  [/\bBuffer\./, 'Node Buffer'],
  [/(?<![.\w/'"-])(document|window|localStorage|navigator)\./, 'a DOM global']
]

async function tsFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'assemblyscript') out.push(...await tsFiles(path))
    } else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

it('core/ imports nothing from Node or the DOM', async () => {
  const files = await tsFiles(coreDir)
  assert.ok(files.length > 5, `found core sources in ${coreDir}`)
  const problems: string[] = []
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n')
    lines.forEach((line, i) => {
      const trimmed = line.trimStart()
      if (trimmed.startsWith('//') || trimmed.startsWith('*') || trimmed.startsWith('/*')) return
      // only code is checked: drop a trailing comment (prose such as "one window." is not a use of `window`)
      const code = line.replace(/\/\/.*$|\/\*.*?\*\//g, '')
      for (const [pattern, what] of forbidden) if (pattern.test(code)) problems.push(`${file}:${i + 1}: ${what}: ${line.trim()}`)
    })
  }
  assert.deepEqual(problems, [])
})

// test/core tests core/ alone: what needs a Node peer (libp2p nodes, worker_threads, files) is in test/node-peer.
it('test/core imports nothing from node-peer', async () => {
  const testCore = fileURLToPath(new URL('../../../test/core/', import.meta.url))
  const files = await tsFiles(testCore)
  assert.ok(files.length > 20, `found core tests in ${testCore}`)
  const problems: string[] = []
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    for (const match of text.matchAll(/from ['"]([^'"]*node-peer\/[^'"]*)['"]/g)) problems.push(`${file}: imports ${match[1]}`)
  }
  assert.deepEqual(problems, [])
})
