/**
 * The error model: every error that travels as data is a class, registered for rebuilding, and built from
 * its class where it is raised (no `{ name: 'XError', … }` literal anywhere in the sources).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as errors from '../../core/errors.js'
import { errorFromData, errorToData, GridError, KNOWN_ERROR_NAMES } from '../../core/errors.js'

const repo = fileURLToPath(new URL('../../../', import.meta.url))

it('every GridError class of core/errors.ts is registered and round-trips through ErrorData by name', () => {
  const classes = Object.values(errors).filter((v): v is typeof GridError => typeof v === 'function' && (v === GridError || v.prototype instanceof GridError))
  assert.ok(classes.length >= 14, `found ${classes.length} classes`)
  for (const Cls of classes) {
    if (Cls.name === 'FlowValidationError') continue // local to the validator: it has structured fields and never travels
    assert.ok(KNOWN_ERROR_NAMES.includes(Cls.name), `${Cls.name} is not registered for errorFromData`)
    const original = new (Cls as unknown as new (m: string) => GridError)('it broke')
    const rebuilt = errorFromData(errorToData(original))
    assert.equal(rebuilt.name, Cls.name)
    assert.ok(rebuilt instanceof Cls, `${Cls.name} rebuilt as ${rebuilt.constructor.name}`)
    assert.equal(rebuilt.message, 'it broke')
  }
})

it('an unknown name survives as a GridError carrying that name', () => {
  const rebuilt = errorFromData({ name: 'SomeFutureError', message: 'x' })
  assert.ok(rebuilt instanceof GridError)
  assert.equal(rebuilt.name, 'SomeFutureError')
})

async function sources (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'assemblyscript'].includes(entry.name)) out.push(...await sources(path))
    } else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

it('no source writes an error name as a literal (errors are built from their classes)', async () => {
  const problems: string[] = []
  for (const dir of ['core', 'node-peer', 'browser-peer/src']) {
    for (const file of await sources(join(repo, dir))) {
      const lines = (await readFile(file, 'utf8')).split('\n')
      lines.forEach((line, i) => {
        if (/name: '[A-Z][A-Za-z]+Error'/.test(line) || /\.name === '[A-Z][A-Za-z]+Error'/.test(line)) problems.push(`${file.slice(repo.length)}:${i + 1}: ${line.trim()}`)
      })
    }
  }
  assert.deepEqual(problems, [])
})
