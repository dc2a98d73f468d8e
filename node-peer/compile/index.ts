/** Building functions to ABI v1 modules (Node only): see compile-function.ts. */
export { buildFunction, compileFunction, defaultOutput, describeBuilt, showPath, sourceKind } from './compile-function.js'
export type { BuildFunctionOptions, BuiltFunction, CompiledFunction, CompileOptions, SourceKind } from './compile-function.js'
export { checkAbi } from './abi-check.js'
export { ASC_FLAGS } from './assemblyscript.js'
export { AbiCheckError, BuildError, CompileError, formatDiagnostic, OutputWriteError, SourceNotFoundError, UnsupportedSourceError } from './errors.js'
export type { Diagnostic } from './errors.js'
export { KIT_DIR, KIT_IMPORT, REPO_ROOT } from './kit.js'
