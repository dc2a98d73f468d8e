/**
 * `grid-build`: compiles function sources (AssemblyScript with the kit, or WAT) to ABI v1 modules from any
 * folder, with node-peer/compile (the code `npm run build:wasm` uses for the examples). Parses options,
 * prints what was built and maps error classes to exit codes; the work is in compile-function.ts.
 */
import { parseArgs } from 'node:util'
import { buildFunction, describeBuilt } from '../compile/compile-function.js'
import { BuildError, formatDiagnostic, OutputWriteError } from '../compile/errors.js'
import { KIT_IMPORT } from '../compile/kit.js'
import { Terminal } from './terminal.js'
import { EXIT_BAD_INPUT, parseCommandLine, UsageError } from './usage.js'

export const EXIT_OK = 0
/** The module could not be written. */
export const EXIT_FAILED = 1
export { EXIT_BAD_INPUT }

const HELP = `Usage: grid-build <source>... [-o FILE] [--quiet]

Compiles edge-grid functions to WebAssembly modules (ABI v1), in any folder:
  fn.ts    AssemblyScript, importing the kit as "${KIT_IMPORT}":
             export { grid_abi_1, grid_alloc } from "${KIT_IMPORT}";
             import { inputInt, emitInt } from "${KIT_IMPORT}";
             export function double(ptr: usize, len: usize): void {
               emitInt(0, inputInt(ptr, len) * 2);
             }
  fn.wat   WebAssembly text (see examples/fibonacci-wat/fib.wat)
Each module is checked the way workers check it: one they would refuse (it
imports Math.random's env.seed, WASI, ...) fails here, with a hint. The flags
are the ABI's; an asconfig.json is ignored.

Options:
  -o, --out FILE   where to write the module (one source only). Default:
                   build/<name>.wasm beside the source, or beside its folder
                   when that folder is named "assembly"
                   (x/assembly/fn.ts -> x/build/fn.wasm)
  --quiet          print only warnings and errors
  -h, --help       show this help

Prints the module's size, the build time and its functions (the names
flow.json's "export" can take). Failure messages compiled into the module
(assert, throw, out-of-range index) name files relative to the current
folder, or to the source's folder when the source is outside it.

Exit codes: 0 built; 2 bad input (unknown option, missing file, compile
error, a module outside the ABI); 1 the module could not be written.

Example:
  npx --no-install grid-build fn.ts        # writes build/fn.wasm
  then in flow.json:  "functions": { "double": { "wasm": "build/fn.wasm" } }
`

interface Options {
  sources: string[]
  output?: string
  quiet: boolean
}

function parseOptions (argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) return 'help'
  if (positionals.length === 0) throw new UsageError('no source file given (a .ts or .wat file)')
  if (values.out != null && positionals.length > 1) throw new UsageError(`--out names one module, but ${positionals.length} sources were given`)
  return { sources: positionals, ...(values.out != null ? { output: values.out } : {}), quiet: values.quiet }
}

/** Builds every source (each one even when an earlier one failed); returns the exit code. */
export async function main (argv: string[], terminal = new Terminal()): Promise<number> {
  const parsed = await parseCommandLine('grid-build', HELP, argv, terminal, parseOptions)
  if (typeof parsed === 'number') return parsed
  let code = EXIT_OK
  for (const source of parsed.sources) {
    try {
      const built = await buildFunction(source, parsed.output != null ? { output: parsed.output } : {})
      for (const warning of built.warnings) terminal.log(formatDiagnostic(warning))
      if (!parsed.quiet) await terminal.write(`${describeBuilt(built)}\n`)
    } catch (err) {
      if (!(err instanceof BuildError)) throw err
      terminal.log(`grid-build: ${err.message}`)
      code = Math.max(code, err instanceof OutputWriteError ? EXIT_FAILED : EXIT_BAD_INPUT)
    }
  }
  return code
}
