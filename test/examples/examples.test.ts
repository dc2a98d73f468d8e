/**
 * Every example, run through the real `grid-coordinator` process on embedded workers, checked against an
 * independent computation (test/helpers/expected.ts).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot, runCoordinator } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample, EXAMPLES } from '../helpers/example-checks.js'

describe('examples on embedded workers', () => {
  it('checks every example folder that has a flow.json and an independent check', async () => {
    // a list that loaded nothing would pass every loop below: count against the folders themselves
    const folders = (await readdir(join(repoRoot, 'examples'), { withFileTypes: true }))
      .filter(d => d.isDirectory() && existsSync(join(repoRoot, 'examples', d.name, 'flow.json'))).map(d => d.name)
    assert.ok(EXAMPLES.length >= 5, `only ${EXAMPLES.length} examples checked`)
    for (const name of EXAMPLES) assert.ok(folders.includes(name), `examples/${name}/flow.json is missing`)
  })

  for (const name of EXAMPLES) {
    it(`${name} gives the independently computed output`, async () => {
      const dir = await copyExample(name)
      const result = await runCoordinator([join(dir, 'flow.json'), '--local-only', '--workers', '2', '--report', join(dir, 'report.json')])
      assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`)
      const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
      assert.equal(report.ok, true)
      assert.equal(report.jobs.failed, 0)
      await checkExample(name, dir, result.stdout, report)
    })
  }
})
