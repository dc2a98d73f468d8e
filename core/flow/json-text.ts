/**
 * A strict JSON parser for flow files. `JSON.parse` is not enough here: its messages carry a position only
 * sometimes (and differ between engines), and it silently keeps the last of two equal keys, so a stage
 * declared twice under the same name would vanish without a word. This one reports line and column, and
 * rejects duplicate keys with their JSON path. Flow files are small: a plain recursive descent is fine.
 */
import { join } from './parse-fields.js'

export class JsonTextError extends Error {
  static override name = 'JsonTextError'
  constructor (
    /** What was wrong, without the position. */
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    /** JSON path of a key given twice in one object, or undefined for syntax errors. */
    readonly path?: string
  ) {
    super(`${reason} at line ${line}, column ${column}`)
    this.name = 'JsonTextError'
  }
}

/** Maximum nesting, so a hostile file cannot exhaust the stack. */
const MAX_DEPTH = 256

/** Appends a key to a JSON path: `stages` + `count` → `stages.count`, `input` + 1 → `input[1]`. */
function childPath (path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : join(path, key)
}

export function parseJsonText (text: string): unknown {
  return new Parser(text).parseDocument()
}

class Parser {
  private pos = 0
  constructor (private readonly text: string) {}

  parseDocument (): unknown {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1 // a UTF-8 byte order mark some editors write
    this.skipSpace()
    if (this.pos >= this.text.length) this.fail('expected a JSON value, the file is empty')
    const value = this.parseValue('', 0)
    this.skipSpace()
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`)
    return value
  }

  private parseValue (path: string, depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`)
    const c = this.text[this.pos]
    if (c === '{') return this.parseObject(path, depth)
    if (c === '[') return this.parseArray(path, depth)
    if (c === '"') return this.parseString()
    if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber()
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length
        return value
      }
    }
    if (c === undefined) this.fail('unexpected end of file, expected a value')
    this.fail(`unexpected ${this.describeHere()}, expected a value (object, array, string, number, true, false or null)`)
  }

  private parseObject (path: string, depth: number): Record<string, unknown> {
    // defineProperty, not assignment: a key named "__proto__" must stay an ordinary property.
    const obj: Record<string, unknown> = {}
    const seen = new Set<string>()
    this.pos++ // {
    this.skipSpace()
    if (this.text[this.pos] === '}') {
      this.pos++
      return obj
    }
    for (;;) {
      this.skipSpace()
      if (this.text[this.pos] !== '"') {
        this.fail(this.text[this.pos] === '}' ? 'unexpected "}" after ",": JSON allows no trailing comma' : `unexpected ${this.describeHere()}, expected a "quoted" property name`)
      }
      const keyAt = this.lineCol(this.pos)
      const key = this.parseString()
      if (seen.has(key)) throw new JsonTextError(`${JSON.stringify(key)} appears again`, keyAt.line, keyAt.column, childPath(path, key))
      seen.add(key)
      this.skipSpace()
      if (this.text[this.pos] !== ':') this.fail(`unexpected ${this.describeHere()}, expected ":" after the property name`)
      this.pos++
      this.skipSpace()
      const value = this.parseValue(childPath(path, key), depth + 1)
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
      this.skipSpace()
      const c = this.text[this.pos]
      if (c === '}') {
        this.pos++
        return obj
      }
      if (c !== ',') this.fail(`unexpected ${this.describeHere()}, expected "," or "}"`)
      this.pos++
    }
  }

  private parseArray (path: string, depth: number): unknown[] {
    const arr: unknown[] = []
    this.pos++ // [
    this.skipSpace()
    if (this.text[this.pos] === ']') {
      this.pos++
      return arr
    }
    for (;;) {
      this.skipSpace()
      if (this.text[this.pos] === ']') this.fail('unexpected "]" after ",": JSON allows no trailing comma')
      arr.push(this.parseValue(childPath(path, arr.length), depth + 1))
      this.skipSpace()
      const c = this.text[this.pos]
      if (c === ']') {
        this.pos++
        return arr
      }
      if (c !== ',') this.fail(`unexpected ${this.describeHere()}, expected "," or "]"`)
      this.pos++
    }
  }

  private parseString (): string {
    const start = this.pos
    this.pos++ // "
    let out = ''
    let run = this.pos
    for (;;) {
      const code = this.text.charCodeAt(this.pos)
      if (Number.isNaN(code)) {
        this.pos = start
        this.fail('unterminated string')
      }
      if (code === 0x22) break // "
      if (code < 0x20) this.fail('a raw control character (e.g. a line break) inside a string: write it as \\n, \\t, …')
      if (code === 0x5c) { // backslash
        out += this.text.slice(run, this.pos)
        out += this.parseEscape()
        run = this.pos
        continue
      }
      this.pos++
    }
    out += this.text.slice(run, this.pos)
    this.pos++ // "
    return out
  }

  private parseEscape (): string {
    const c = this.text[this.pos + 1]
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
    if (c !== undefined && c in simple) {
      this.pos += 2
      return simple[c]
    }
    if (c === 'u') {
      const hex = this.text.slice(this.pos + 2, this.pos + 6)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('a \\u escape needs four hex digits')
      this.pos += 6
      return String.fromCharCode(parseInt(hex, 16))
    }
    this.fail(`invalid escape "\\${c ?? ''}" in a string`)
  }

  private parseNumber (): number {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos, this.pos + 400))
    if (m == null) this.fail(`invalid number ${this.describeHere()}`)
    const after = this.text[this.pos + m[0].length]
    if (after !== undefined && /[0-9.eE+\-A-Za-z]/.test(after)) {
      this.fail(`invalid number "${this.text.slice(this.pos, this.pos + m[0].length + 1)}…" (JSON numbers have no leading zeros, hex, NaN or Infinity)`)
    }
    this.pos += m[0].length
    return Number(m[0])
  }

  private skipSpace (): void {
    for (;;) {
      const c = this.text[this.pos]
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++
        continue
      }
      if (c === '/' && (this.text[this.pos + 1] === '/' || this.text[this.pos + 1] === '*')) {
        this.fail('a comment: JSON has no comments (use a "description" field instead)')
      }
      return
    }
  }

  private describeHere (): string {
    const c = this.text[this.pos]
    if (c === undefined) return 'end of file'
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos, this.pos + 40))
    return word != null ? `"${word[0]}"` : JSON.stringify(c)
  }

  private lineCol (pos: number): { line: number, column: number } {
    let line = 1
    let lineStart = 0
    for (let i = 0; i < pos && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 0x0a) {
        line++
        lineStart = i + 1
      }
    }
    return { line, column: pos - lineStart + 1 }
  }

  private fail (reason: string): never {
    const { line, column } = this.lineCol(this.pos)
    throw new JsonTextError(reason, line, column)
  }
}
