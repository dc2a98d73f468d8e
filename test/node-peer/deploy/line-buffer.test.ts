/** LineBuffer: a service's lines kept from its start, for readers that come late or read twice. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { LineBuffer, MAX_BUFFERED_LINES } from '../../../node-peer/deploy/line-buffer.js'

async function all (lines: AsyncIterable<string>): Promise<string[]> {
  const got: string[] = []
  for await (const l of lines) got.push(l)
  return got
}

it('a reader that comes after the lines were printed gets every one, and chunks are split into lines', async () => {
  const b = new LineBuffer()
  b.push('first li')
  b.push('ne\r\nsecond\nthi')
  b.push('rd')
  b.end()
  assert.deepEqual(await all(b.read()), ['first line', 'second', 'third'])
  assert.deepEqual(await all(b.read()), ['first line', 'second', 'third'], 'a second reader starts from the first line too')
})

it('a reader waiting for lines gets them as they come and ends with the stream', async () => {
  const b = new LineBuffer()
  const reading = all(b.read())
  b.push('a\n')
  await new Promise(resolve => setImmediate(resolve))
  b.push('b\nc')
  b.end()
  b.end() // idempotent
  assert.deepEqual(await reading, ['a', 'b', 'c'])
  assert.deepEqual(b.tail(2), ['b', 'c'])
})

it(`keeps at most ${MAX_BUFFERED_LINES} lines and tells a late reader how many it missed`, async () => {
  const b = new LineBuffer()
  for (let i = 0; i < MAX_BUFFERED_LINES + 5; i++) b.push(`${i}\n`)
  b.end()
  const got = await all(b.read())
  assert.equal(got[0], `… 5 earlier lines dropped (more than ${MAX_BUFFERED_LINES} kept)`)
  assert.equal(got[1], '5')
  assert.equal(got.length, MAX_BUFFERED_LINES + 1)
  assert.equal(got[got.length - 1], String(MAX_BUFFERED_LINES + 4))
})
