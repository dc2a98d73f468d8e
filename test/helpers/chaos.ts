/**
 * The chaos test's fixture (test/fixtures/chaos) and its independent checks. The fixture module is compiled
 * at test time into a fresh temp dir; the expected outputs are computed here by another route than the
 * module's loop: xorshift32 is linear over GF(2), so its ROUNDS iterations are one 32x32 bit-matrix, raised
 * to the power ROUNDS by squaring (a few dozen matrix products instead of 15 billion iterations).
 */
import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileFunction } from '../../node-peer/compile/index.js'
import { repoRoot } from './cli.js'
import { finishHash } from '../../core/run/hash.js'

const FIXTURE = 'test/fixtures/chaos'
const SOURCE = `${FIXTURE}/assembly/chaos.ts`
/** The range source of flow.json: 0 .. ITEMS-1. */
export const ITEMS = 100_000
const BUCKETS = 16

export interface ChaosFixture {
  readonly dir: string
  readonly flow: string
  /** xorshift32 iterations per item, read from the module's source */
  readonly rounds: number
}

/** A temp dir with flow.json and the freshly compiled chaos.wasm. */
export async function prepareChaosFixture (): Promise<ChaosFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-chaos-'))
  const source = await readFile(join(repoRoot, SOURCE), 'utf8')
  const m = /const ROUNDS: i32 = (\d+);/.exec(source)
  assert.ok(m != null, `${SOURCE} declares const ROUNDS: i32 = <n>;`)
  await writeFile(join(dir, 'chaos.wasm'), (await compileFunction(join(repoRoot, SOURCE), { baseDir: repoRoot })).bytes)
  const flow = join(dir, 'flow.json')
  await copyFile(join(repoRoot, FIXTURE, 'flow.json'), flow)
  await mkdir(join(dir, 'out'))
  return { dir, flow, rounds: Number(m[1]) }
}

/** Murmur3's fmix32, as the module computes it in u32 (the same finaliser the coordinator's tables use). */
const fmix = finishHash

function xorshiftStep (x: number): number {
  x ^= x << 13
  x ^= x >>> 17
  x ^= x << 5
  return x >>> 0
}

/** A linear map on 32-bit words, as the images of the 32 unit vectors. */
type BitMatrix = Uint32Array

function apply (m: BitMatrix, x: number): number {
  let y = 0
  for (let i = 0; x !== 0; i++, x >>>= 1) if ((x & 1) !== 0) y ^= m[i]
  return y >>> 0
}

/** a after b */
function compose (a: BitMatrix, b: BitMatrix): BitMatrix {
  return b.map(column => apply(a, column))
}

function xorshiftPower (rounds: number): BitMatrix {
  let result: BitMatrix = Uint32Array.from({ length: 32 }, (_, i) => (1 << i) >>> 0)
  let base: BitMatrix = result.map(xorshiftStep)
  for (let e = rounds; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = compose(base, result)
    base = compose(base, base)
  }
  return result
}

/** h for every item, as `work` must emit it. Cross-checked against plain iteration for a few items. */
export function expectedHashes (rounds: number): Uint32Array {
  const m = xorshiftPower(rounds)
  const hashes = new Uint32Array(ITEMS)
  for (let n = 0; n < ITEMS; n++) hashes[n] = fmix(apply(m, (fmix(n) | 1) >>> 0) ^ n)
  for (const n of [0, 1, 2, 77, ITEMS - 1]) { // the matrix route against the loop itself
    let x = (fmix(n) | 1) >>> 0
    for (let i = 0; i < rounds; i++) x = xorshiftStep(x)
    assert.equal(hashes[n], fmix(x ^ n), `matrix power and iteration agree for n = ${n}`)
  }
  return hashes
}

async function jsonLines (path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8')
  assert.ok(text === '' || text.endsWith('\n'), `${path} ends with a complete line`)
  return text.split('\n').slice(0, -1).map((line, i) => {
    try {
      return JSON.parse(line) as unknown
    } catch {
      throw new assert.AssertionError({ message: `${path} line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}` })
    }
  })
}

/** out/results.jsonl holds [n, h] for every n exactly once, with the right h. */
export async function checkResults (dir: string, hashes: Uint32Array): Promise<void> {
  const lines = await jsonLines(join(dir, 'out', 'results.jsonl'))
  const seen = new Uint8Array(ITEMS)
  const duplicates: number[] = []
  const wrong: string[] = []
  for (const item of lines) {
    assert.ok(Array.isArray(item) && item.length === 2 && Number.isInteger(item[0]) && item[0] >= 0 && item[0] < ITEMS,
      `results item ${JSON.stringify(item)} is [n, h] with n in 0..${ITEMS - 1}`)
    const [n, h] = item as [number, unknown]
    if (seen[n] === 1) duplicates.push(n)
    seen[n] = 1
    if (h !== hashes[n]) wrong.push(`${n}: ${JSON.stringify(h)} instead of ${hashes[n]}`)
  }
  const missing = [...seen.keys()].filter(n => seen[n] === 0)
  assert.deepEqual({ duplicates: duplicates.length, missing: missing.length, wrong: wrong.length },
    { duplicates: 0, missing: 0, wrong: 0 },
    `results: duplicates ${duplicates.slice(0, 10).join(', ')}; missing ${missing.slice(0, 10).join(', ')}; wrong ${wrong.slice(0, 5).join('; ')}`)
  assert.equal(lines.length, ITEMS)
}

/** out/counts.jsonl holds [bucket, count] for each of the 16 buckets of h % 16, each once, counts exact. */
export async function checkCounts (dir: string, hashes: Uint32Array): Promise<void> {
  const expected = new Array<number>(BUCKETS).fill(0)
  for (const h of hashes) expected[h % BUCKETS]++
  const lines = await jsonLines(join(dir, 'out', 'counts.jsonl'))
  const sorted = [...lines].sort((a, b) => (a as number[])[0] - (b as number[])[0])
  assert.deepEqual(sorted, expected.map((count, bucket) => [bucket, count]))
}

/** Lines written so far to a JSONL sink (0 while the file does not exist). */
export async function countLines (path: string): Promise<number> {
  const bytes = await readFile(path).catch(() => new Uint8Array(0))
  let lines = 0
  for (const b of bytes) if (b === 10) lines++
  return lines
}
