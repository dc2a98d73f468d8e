import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { JsonTextError, parseJsonText } from '../../../core/flow/json-text.js'

function fails (text: string, reason: string, line: number, column: number, path?: string): void {
  assert.throws(() => parseJsonText(text), (err: unknown) => {
    assert.ok(err instanceof JsonTextError)
    assert.ok(err.reason.includes(reason), `"${err.reason}" includes "${reason}"`)
    assert.deepEqual([err.line, err.column, err.path], [line, column, path])
    return true
  })
}

describe('parseJsonText', () => {
  it('parses what JSON.parse parses, to the same value', () => {
    const samples = [
      '{"a":[1,-2.5,3e2,0,-0.125E-2],"b":{"c":null,"d":true,"e":false},"f":"\\u00e9\\n\\t\\"\\\\\\/"}',
      ' [ ] ', '{}', '"x"', '12', 'null', '[{"nested":[[[]]]}]', '{"名前":"値 ✓"}', '123456789012345678901234567890'
    ]
    for (const text of samples) assert.deepEqual(parseJsonText(text), JSON.parse(text), text)
  })

  it('keeps file order of keys', () => {
    assert.deepEqual(Object.keys(parseJsonText('{"z":1,"a":2,"m":3}') as object), ['z', 'a', 'm'])
  })

  it('reports line and column of syntax errors', () => {
    fails('{\n  "a": 1,\n  "b": 2,\n}', 'no trailing comma', 4, 1)
    fails('[1, 2,]', 'no trailing comma', 1, 7)
    fails('{"a": 1 "b": 2}', 'expected "," or "}"', 1, 9)
    fails('{"a" 1}', 'expected ":"', 1, 6)
    fails('{a: 1}', 'expected a "quoted" property name', 1, 2)
    fails("{'a': 1}", 'expected a "quoted" property name', 1, 2)
    fails('{"a": NaN}', 'unexpected "NaN"', 1, 7)
    fails('{"a": 01}', 'invalid number', 1, 7)
    fails('{"a": 0x10}', 'invalid number', 1, 7)
    fails('{"a": .5}', 'unexpected "."', 1, 7)
    fails('{"a": "x', 'unterminated string', 1, 7)
    fails('{"a": "\\q"}', 'invalid escape', 1, 8)
    fails('{"a": "\\u12G4"}', 'four hex digits', 1, 8)
    fails('{"a": 1} {"b": 2}', 'after the end of the JSON value', 1, 10)
    fails('/* c */ {}', 'JSON has no comments', 1, 1)
    fails('{"a": [1, 2}', 'expected "," or "]"', 1, 12)
    fails('', 'the file is empty', 1, 1)
    fails('   \n  ', 'the file is empty', 2, 3)
  })

  it('counts columns from the line start after CRLF line breaks', () => {
    fails('{\r\n  "a": ,\r\n}', 'expected a value', 2, 8)
  })

  it('rejects a key given twice, with the path of the repeated key', () => {
    fails('{"stages": {\n  "a": {},\n  "b": {},\n  "a": {}\n}}', '"a" appears again', 4, 3, 'stages.a')
    fails('{"x": [{"k": 1, "k": 2}]}', '"k" appears again', 1, 17, 'x[0].k')
    fails('{"odd key": 1, "odd key": 2}', 'appears again', 1, 16, '"odd key"')
  })

  it('bounds nesting depth', () => {
    fails('['.repeat(300) + ']'.repeat(300), 'nesting deeper than 256', 1, 258)
    assert.doesNotThrow(() => parseJsonText('['.repeat(200) + ']'.repeat(200)))
  })

  it('skips a byte order mark', () => {
    assert.deepEqual(parseJsonText('\ufeff{"a":1}'), { a: 1 })
  })

  it('keeps "__proto__" as an ordinary key', () => {
    const value = parseJsonText('{"__proto__": {"polluted": true}}') as Record<string, unknown>
    assert.deepEqual(Object.keys(value), ['__proto__'])
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(Object.getPrototypeOf(value), Object.prototype)
  })
})
