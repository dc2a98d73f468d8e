/**
 * File sinks on a real file system: output goes to `<path>.partial` and replaces `<path>` only at `commit`
 * (a run that succeeded); a failed run leaves the target as it was; a resumed JSONL sink cuts the partial
 * file back to the journaled size and continues it; a new run starts a stale partial file over.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { encodeValue } from '../../../core/codec.js'
import { JournalError } from '../../../core/run/journal.js'
import { jsonlSink } from '../../../node-peer/sinks/jsonl-sink.js'
import { OutputFile, partialPath, SinkFileError } from '../../../node-peer/sinks/output-file.js'
import { pngSink } from '../../../node-peer/sinks/png-sink.js'

const scratch = async (): Promise<string> => await mkdtemp(join(tmpdir(), 'edge-grid-sinks-'))
const exists = async (path: string): Promise<boolean> => await access(path).then(() => true, () => false)
const items = (...values: unknown[]): Uint8Array[] => values.map(v => encodeValue(v))

describe('OutputFile', () => {
  it('names the partial file <target>.partial, beside the target', () => {
    assert.equal(partialPath('/a/out/x.jsonl'), '/a/out/x.jsonl.partial')
  })

  it('creates a missing folder and touches neither the target nor a stale partial file', async () => {
    const dir = await scratch()
    const target = join(dir, 'deep', 'er', 'x.jsonl')
    const file = await OutputFile.prepare(target, 'x')
    assert.deepEqual(await readdir(join(dir, 'deep', 'er')), [])
    await writeFile(target, 'previous\n')
    await writeFile(file.partial, 'stale\n')
    await OutputFile.prepare(target, 'x')
    assert.equal(await readFile(target, 'utf8'), 'previous\n')
    assert.equal(await readFile(file.partial, 'utf8'), 'stale\n')
  })

  it('refuses a target that is a folder, or a folder that is a file, naming the sink and the path', async () => {
    const dir = await scratch()
    await mkdir(join(dir, 'x.jsonl'))
    await assert.rejects(OutputFile.prepare(join(dir, 'x.jsonl'), 'lengths'), (err: Error) => {
      assert.ok(err instanceof SinkFileError)
      assert.match(err.message, /sink "lengths": .*x\.jsonl is a folder.*move it away or change the sink's path/)
      return true
    })
    await writeFile(join(dir, 'file'), '')
    await assert.rejects(OutputFile.prepare(join(dir, 'file', 'x.jsonl'), 'lengths'), SinkFileError)
  })

  it('publish replaces the target with the partial file', async () => {
    const dir = await scratch()
    const target = join(dir, 'x.jsonl')
    await writeFile(target, 'previous\n')
    const file = await OutputFile.prepare(target, 'x')
    await writeFile(file.partial, 'new\n')
    await file.publish()
    assert.equal(await readFile(target, 'utf8'), 'new\n')
    assert.equal(await exists(file.partial), false)
  })

  it('cutBack refuses a partial file that is gone or shorter than the journal says', async () => {
    const dir = await scratch()
    const file = await OutputFile.prepare(join(dir, 'x.jsonl'), 'x')
    await assert.rejects(file.cutBack(10), (err: Error) => err instanceof JournalError && /x\.jsonl\.partial .* is gone: .*--fresh/.test(err.message))
    await writeFile(file.partial, '12345')
    await assert.rejects(file.cutBack(10), (err: Error) => err instanceof JournalError && /has 5 bytes, fewer than the 10 the journal recorded/.test(err.message))
    await file.cutBack(3)
    assert.equal(await readFile(file.partial, 'utf8'), '123')
  })
})

describe('jsonl sink', () => {
  it('writes the partial file; the target changes only at commit', async () => {
    const dir = await scratch()
    const target = join(dir, 'out', 'x.jsonl')
    await mkdir(join(dir, 'out'))
    await writeFile(target, '"previous"\n')
    const sink = await jsonlSink('x', target)
    await sink.write(items(1, 2))
    assert.equal(await readFile(partialPath(target), 'utf8'), '1\n2\n')
    assert.equal(sink.position?.(), 4)
    await sink.close(true)
    assert.equal(await readFile(target, 'utf8'), '"previous"\n', 'closing alone does not replace the output')
    await sink.commit!()
    assert.equal(await readFile(target, 'utf8'), '1\n2\n')
    assert.deepEqual(await readdir(join(dir, 'out')), ['x.jsonl'])
  })

  it('a failed run (close without commit) keeps the previous target and the partial file', async () => {
    const dir = await scratch()
    const target = join(dir, 'x.jsonl')
    await writeFile(target, '"previous"\n')
    const sink = await jsonlSink('x', target)
    await sink.write(items('a'))
    await sink.close(false)
    assert.equal(await readFile(target, 'utf8'), '"previous"\n')
    assert.equal(await readFile(partialPath(target), 'utf8'), '"a"\n')
  })

  it('a new run starts a stale partial file over; a resume at position 0 too', async () => {
    const dir = await scratch()
    const target = join(dir, 'x.jsonl')
    for (const resume of [undefined, { position: 0 }]) {
      await writeFile(partialPath(target), '"stale"\n"lines"\n')
      const sink = await jsonlSink('x', target, resume)
      await sink.write(items(3))
      await sink.close(true)
      assert.equal(await readFile(partialPath(target), 'utf8'), '3\n')
    }
  })

  it('a resumed run cuts the partial file back to the journaled position and continues it', async () => {
    const dir = await scratch()
    const target = join(dir, 'x.jsonl')
    await writeFile(target, '"previous"\n')
    await writeFile(partialPath(target), '1\n2\n3\n"torn')
    const sink = await jsonlSink('x', target, { position: 4 })
    assert.equal(sink.position?.(), 4)
    await sink.write(items(9), ['worker/0'])
    assert.equal(sink.position?.(), 4 + '{"member":"worker/0","value":9}\n'.length)
    await sink.close(true)
    assert.equal(await readFile(target, 'utf8'), '"previous"\n', 'the target waits for the end of the run')
    await sink.commit!()
    assert.equal(await readFile(target, 'utf8'), '1\n2\n{"member":"worker/0","value":9}\n')
  })

  it('a resume whose partial file is gone is refused, and the target is left alone', async () => {
    const dir = await scratch()
    const target = join(dir, 'x.jsonl')
    await writeFile(target, '"previous"\n')
    await assert.rejects(jsonlSink('x', target, { position: 8 }), JournalError)
    assert.equal(await readFile(target, 'utf8'), '"previous"\n')
    assert.equal(await exists(partialPath(target)), false)
  })
})

describe('png sink', () => {
  const spec = (path: string) => ({ kind: 'png' as const, name: 'img', inputs: ['rows'], path, width: 2, height: 2, channels: 1 as const })

  it('a failed run writes nothing: the previous image stays, no partial file', async () => {
    const dir = await scratch()
    const target = join(dir, 'img.png')
    await writeFile(target, 'previous')
    const sink = await pngSink(spec(target))
    await sink.write(items([0, new Uint8Array([1, 2])]))
    await sink.close(false)
    assert.equal(await readFile(target, 'utf8'), 'previous')
    assert.equal(await exists(partialPath(target)), false)
  })

  it('a successful run writes the image to the partial file and replaces the previous one at commit', async () => {
    const dir = await scratch()
    const target = join(dir, 'out', 'img.png')
    const sink = await pngSink(spec(target))
    await sink.write(items([1, new Uint8Array([7, 8])], [0, new Uint8Array([5, 6])]))
    await sink.close(true)
    assert.equal(await exists(target), false)
    await sink.commit!()
    const png = PNG.sync.read(await readFile(target))
    assert.deepEqual([png.width, png.height], [2, 2])
    assert.deepEqual([0, 1, 2, 3].map(p => png.data[p * 4]), [5, 6, 7, 8])
    assert.deepEqual(await readdir(join(dir, 'out')), ['img.png'])
  })
})
