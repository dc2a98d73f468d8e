/** Assembles a WebAssembly text file (.wat) with wabt's JS API. */
import { readFile } from 'node:fs/promises'
import wabtInit from 'wabt'
import type { Diagnostic } from './errors.js'
import { CompileError } from './errors.js'

/**
 * Assembles `file` (absolute path); `shown` names it in wabt's messages (`fib.wat:3:5: error: …`). The
 * features are those every host of ABI v1 supports.
 */
export async function compileWat (file: string, shown: string = file): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const text = await readFile(file, 'utf8')
  try {
    const module = wabt.parseWat(shown, text, { mutable_globals: true, bulk_memory: true, sign_extension: true })
    try {
      module.resolveNames()
      module.validate()
      return module.toBinary({}).buffer
    } finally {
      module.destroy()
    }
  } catch (err) {
    throw new CompileError(shown, watDiagnostics((err as Error).message, shown))
  }
}

/**
 * wabt's messages are `<file>:<line>:<column>: error: <text>`, the source line and a `^^^` line (wabt.js
 * garbles the file name, so the one we know is used).
 */
function watDiagnostics (message: string, file: string): Diagnostic[] {
  const lines = message.split('\n')
  const found: Diagnostic[] = []
  lines.forEach((text, i) => {
    const m = /:(\d+):(\d+): (error|warning): (.*)$/.exec(text)
    if (m == null) return
    const line = Number(m[1])
    const gutter = ' '.repeat(String(line).length)
    const excerpt = lines[i + 1] != null && lines[i + 2]?.includes('^') === true ? `${line} │ ${lines[i + 1]}\n${gutter} │ ${lines[i + 2]}` : undefined
    found.push({ severity: m[3] as 'error' | 'warning', code: '', message: m[4], file, line, column: Number(m[2]), ...(excerpt != null ? { excerpt } : {}) })
  })
  return found.length > 0 ? found : [{ severity: 'error', code: '', message: message.trim(), file }]
}
