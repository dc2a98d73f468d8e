/**
 * grid-coordinator as a user meets it: help, exit codes (0 done, 1 failed while running, 2 bad input),
 * errors that name the file and the JSON path, a failing job reported with its stage, input and error.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import wabtInit from 'wabt'
import { runBin, runCoordinator, sinkLines } from '../../helpers/cli.js'

// Echoes small integers (positive fixint), traps on 7, spins forever on 5: enough to exercise failure paths.
const WAT = `(module
  (import "env" "memory" (memory 1))
  (import "grid" "emit" (func $emit (param i32 i32 i32)))
  (global (export "grid_abi_1") i32 (i32.const 1))
  (func (export "grid_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "picky") (param $ptr i32) (param $len i32)
    (if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 7)) (then unreachable))
    (if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 5)) (then (loop $forever (br $forever))))
    (call $emit (i32.const 0) (local.get $ptr) (local.get $len))))`

async function fixture (flow: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-cli-'))
  const wabt = await wabtInit()
  await writeFile(join(dir, 'picky.wasm'), wabt.parseWat('picky.wat', WAT).toBinary({}).buffer)
  await writeFile(join(dir, 'flow.json'), JSON.stringify(flow, null, 2))
  return dir
}

const base = (values: number[], stage: object = {}): object => ({
  name: 'picky',
  functions: { picky: { wasm: 'picky.wasm', export: 'picky' } },
  sources: { nums: { type: 'values', values } },
  stages: { check: { function: 'picky', input: 'nums', ...stage } },
  sinks: { out: { type: 'stdout', input: 'check' } }
})

describe('grid-coordinator CLI', () => {
  it('--help documents the options and exit codes', async () => {
    const { code, stdout } = await runCoordinator(['--help'])
    assert.equal(code, 0)
    for (const text of ['--workers', '--report', '--quiet', '--listen', '--mdns', '--identity', '--local-only', 'Exit codes']) assert.ok(stdout.includes(text), text)
  })

  it('runs a good flow and exits 0', async () => {
    const dir = await fixture(base([1, 2, 3]))
    const { code, stdout } = await runCoordinator([join(dir, 'flow.json'), '--local-only', '--workers', '1'])
    assert.equal(code, 0)
    assert.deepEqual(sinkLines(stdout, 'out').sort(), ['1', '2', '3'])
  })

  it('exits 2 naming the file and JSON path of a mistake', async () => {
    const dir = await fixture({ ...base([1]), stages: { check: { function: 'picky', input: 'numz' } } })
    const { code, stderr } = await runCoordinator([join(dir, 'flow.json'), '--local-only'])
    assert.equal(code, 2)
    assert.match(stderr, /flow\.json: stages\.check\.input: .*numz/)
  })

  it('exits 2 for a missing flow file and for a bad option', async () => {
    assert.equal((await runCoordinator(['/nonexistent/flow.json', '--local-only'])).code, 2)
    const bad = await runCoordinator(['x.json', '--workers', 'many'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--workers expects an integer/)
  })

  it('a trapping job is retried, then the run exits 1 and the report names stage, input and error', async () => {
    const dir = await fixture(base([1, 7, 3], { retries: 2 }))
    const { code, stderr } = await runCoordinator([join(dir, 'flow.json'), '--local-only', '--workers', '1', '--report', join(dir, 'report.json')])
    assert.equal(code, 1)
    assert.match(stderr, /stage "check", input 7: WasmTrapError: trap: unreachable/)
    assert.match(stderr, /after 3 attempts/)
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
    assert.equal(report.ok, false)
    assert.equal(report.jobs.retried, 2)
    assert.deepEqual(report.failures.map((f: any) => [f.stage, f.input, f.error.name]), [['check', '7', 'WasmTrapError']])
  })

  it('a job past its timeout is stopped, retried and reported', async () => {
    const dir = await fixture(base([1, 5], { timeoutMs: 300, retries: 1 }))
    const { code, stderr } = await runCoordinator([join(dir, 'flow.json'), '--local-only', '--workers', '1'], { timeoutMs: 60_000 })
    assert.equal(code, 1)
    assert.match(stderr, /input 5: JobTimeoutError/)
    assert.match(stderr, /after 2 attempts/)
  })
})

describe('grid-worker CLI', () => {
  it('--help documents the options', async () => {
    const { code, stdout } = await runBin('grid-worker', ['--help'])
    assert.equal(code, 0)
    for (const text of ['--bootstrap', '--mdns', '--threads', '--name', '--identity', '--forget-after']) assert.ok(stdout.includes(text), text)
    assert.match(stdout, /--forget-after S[\s\S]*default 30[\s\S]*never forgotten/)
  })

  it('--forget-after only with a coordinator found by mDNS, in whole seconds (refused before any network starts)', async () => {
    const id = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
    for (const args of [['--bootstrap', `/ip4/127.0.0.1/tcp/4747/p2p/${id}`, '--forget-after', '5'], ['--mdns', '--coordinator', id, '--forget-after', '5']]) {
      const { code, stderr } = await runBin('grid-worker', args)
      assert.equal(code, 2, args.join(' '))
      assert.match(stderr, /--forget-after applies only to a coordinator found by --mdns \(without --coordinator or --bootstrap, whose peers are never forgotten\)/)
    }
    const bad = await runBin('grid-worker', ['--mdns', '--forget-after', '2.5'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--forget-after expects an integer from 0 to 86400, got "2.5"/)
  })

  it('refuses to start without a way to find a coordinator, or with an address lacking /p2p/', async () => {
    const none = await runBin('grid-worker', [])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /--bootstrap ADDR, or --mdns/)
    const noPeer = await runBin('grid-worker', ['--bootstrap', '/ip4/127.0.0.1/tcp/4747'])
    assert.equal(noPeer.code, 2)
    assert.match(noPeer.stderr, /must end in \/p2p\//)
  })
})
