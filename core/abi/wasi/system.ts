/**
 * The WASI preview 1 system one run of a command sees, written for pure functions and platform-neutral
 * (`node:wasi` does not exist in browsers): stdin is the item, stdout and fds 3… are output ports, stderr is
 * captured for the failure message; one argument (the program name), no environment, a deterministic clock
 * and random generator, no files, no directories, no sockets. Every other call answers EBADF (for an fd or a
 * path: nothing is open) or ENOSYS.
 */
import { OutputLimitError } from '../../errors.js'
import { CLOCK_IDS, Errno, FDSTAT_SIZE, FILESTAT_SIZE, Filetype, IOVEC_SIZE, PREVIEW1_FUNCTIONS, Rights, WASI_MODULE } from './preview1.js'
import { portOfFd } from './io.js'
import { SeededRandom } from './seeded-random.js'

/** Thrown by `proc_exit` to unwind the guest; not an Error, so nothing in between mistakes it for one. */
export class ProcExit {
  constructor (readonly code: number) {}
}

export interface WasiSystemInit {
  readonly stdin: Uint8Array
  /** Seeds `random_get` (the job's input bytes: replicas and retries of a job see the same stream). */
  readonly seed: Uint8Array
  /** Bytes all output ports together may receive in one run. */
  readonly maxOutputBytes: number
  /** Bytes of stderr kept for the failure message; the rest is dropped. */
  readonly maxStderrBytes: number
}

/** The program name in `argv[0]`: the only argument. */
export const PROGRAM_NAME = 'grid-function'
/** Output ports a command may write (fd 1 and fds 3 … 257), the most a stage's wire outcome can name. */
export const MAX_PORTS = 256
/** The fixed clock: realtime starts at 2000-01-01T00:00:00Z, the other clocks at 0; each reading adds 1 µs. */
const REALTIME_START_NS = 946_684_800_000_000_000n
const CLOCK_TICK_NS = 1000n

const utf8 = new TextEncoder()

type WasiFunction = (...args: Array<number | bigint>) => number

/**
 * One system per instance; `begin` starts each run afresh (stdin, outputs, stderr, clock, random), so an
 * instance that is reused (command.ts) sees exactly what a fresh one would.
 */
export class WasiSystem {
  /** Set once the instance exists: the command's own exported memory. */
  memory: WebAssembly.Memory | undefined
  private view: DataView | undefined
  private bytes: Uint8Array | undefined
  private init: WasiSystemInit = { stdin: new Uint8Array(0), seed: new Uint8Array(0), maxOutputBytes: 0, maxStderrBytes: 0 }
  private stdinPos = 0
  private ports: Uint8Array[][] = []
  private outputBytes = 0
  private stderrChunks: Uint8Array[] = []
  private stderrBytes = 0
  private stderrDropped = 0
  private clockTicks = 0n
  private random = new SeededRandom(new Uint8Array(0))
  private readonly argv = utf8.encode(`${PROGRAM_NAME}\0`)

  /** Resets every per-run state for a run on `init`. */
  begin (init: WasiSystemInit): void {
    this.init = init
    this.stdinPos = 0
    this.ports = []
    this.outputBytes = 0
    this.stderrChunks = []
    this.stderrBytes = 0
    this.stderrDropped = 0
    this.clockTicks = 0n
    this.random = new SeededRandom(init.seed)
  }

  /** The import object: every preview 1 function, the unimplemented ones as stubs. */
  imports (): WebAssembly.Imports {
    const fns: Record<string, WasiFunction> = {}
    for (const name of PREVIEW1_FUNCTIONS) {
      fns[name] = name.startsWith('path_')
        ? () => Errno.BADF // path_* take a directory fd, and no directory is open
        : name.startsWith('fd_') || name.startsWith('sock_')
          ? (fd) => this.isOpen(Number(fd)) ? Errno.NOSYS : Errno.BADF
          : () => Errno.NOSYS
    }
    const implemented: Record<string, WasiFunction> = {
      args_sizes_get: (argc, size) => { this.u32(argc, 1); this.u32(size, this.argv.length); return Errno.SUCCESS },
      args_get: (argv, buf) => { this.u32(argv, Number(buf)); this.mem().set(this.argv, Number(buf)); return Errno.SUCCESS },
      environ_sizes_get: (count, size) => { this.u32(count, 0); this.u32(size, 0); return Errno.SUCCESS },
      environ_get: () => Errno.SUCCESS,
      clock_res_get: (id, out) => this.validClock(id) ? (this.u64(out, CLOCK_TICK_NS), Errno.SUCCESS) : Errno.INVAL,
      clock_time_get: (id, _precision, out) => {
        if (!this.validClock(id)) return Errno.INVAL
        this.clockTicks += CLOCK_TICK_NS
        this.u64(out, (Number(id) === 0 ? REALTIME_START_NS : 0n) + this.clockTicks)
        return Errno.SUCCESS
      },
      random_get: (buf, len) => {
        const mem = this.mem()
        if (Number(buf) + Number(len) > mem.length) return Errno.FAULT
        this.random.fill(mem.subarray(Number(buf), Number(buf) + Number(len)))
        return Errno.SUCCESS
      },
      sched_yield: () => Errno.SUCCESS,
      proc_exit: (code) => { throw new ProcExit(Number(code) >>> 0) },
      fd_read: (fd, iovs, count, nread) => this.fdRead(Number(fd), Number(iovs), Number(count), Number(nread)),
      fd_write: (fd, iovs, count, nwritten) => this.fdWrite(Number(fd), Number(iovs), Number(count), Number(nwritten)),
      fd_fdstat_get: (fd, out) => this.fdstat(Number(fd), Number(out)),
      fd_filestat_get: (fd, out) => this.filestat(Number(fd), Number(out)),
      fd_seek: (fd) => this.isOpen(Number(fd)) ? Errno.SPIPE : Errno.BADF,
      fd_tell: (fd) => this.isOpen(Number(fd)) ? Errno.SPIPE : Errno.BADF,
      fd_pread: (fd) => this.isOpen(Number(fd)) ? Errno.SPIPE : Errno.BADF,
      fd_pwrite: (fd) => this.isOpen(Number(fd)) ? Errno.SPIPE : Errno.BADF,
      fd_readdir: (fd) => this.isOpen(Number(fd)) ? Errno.NOTDIR : Errno.BADF,
      fd_close: (fd) => this.isOpen(Number(fd)) ? Errno.SUCCESS : Errno.BADF,
      fd_sync: (fd) => this.isOpen(Number(fd)) ? Errno.SUCCESS : Errno.BADF,
      fd_datasync: (fd) => this.isOpen(Number(fd)) ? Errno.SUCCESS : Errno.BADF,
      // No preopened directories: libc's scan of fds 3, 4, … stops at the first EBADF.
      fd_prestat_get: () => Errno.BADF,
      fd_prestat_dir_name: () => Errno.BADF
    }
    for (const [name, fn] of Object.entries(implemented)) fns[name] = this.guarded(fn)
    return { [WASI_MODULE]: fns }
  }

  /** What each output port's fd received (undefined: never written), in port order. */
  written (): Array<Uint8Array | undefined> {
    return Array.from(this.ports, chunks => chunks === undefined ? undefined : concat(chunks))
  }

  /** The captured stderr as text (capped), with a note when some was dropped. */
  stderr (): string {
    const text = new TextDecoder().decode(concat(this.stderrChunks)).trimEnd()
    return this.stderrDropped > 0 ? `${text}… (${this.stderrDropped} more bytes)` : text
  }

  private isOpen (fd: number): boolean {
    return fd === 0 || fd === 2 || (portOfFd(fd) ?? MAX_PORTS) < MAX_PORTS
  }

  private validClock (id: number | bigint): boolean {
    return Number(id) >= 0 && Number(id) < CLOCK_IDS
  }

  /** An out-of-bounds pointer from the guest answers EFAULT instead of throwing into it. */
  private guarded (fn: WasiFunction): WasiFunction {
    return (...args) => {
      try {
        return fn(...args)
      } catch (err) {
        if (err instanceof RangeError) return Errno.FAULT
        throw err
      }
    }
  }

  private mem (): Uint8Array {
    const buffer = this.memory!.buffer
    if (this.bytes?.buffer !== buffer) {
      this.bytes = new Uint8Array(buffer)
      this.view = new DataView(buffer)
    }
    return this.bytes
  }

  private dv (): DataView {
    this.mem()
    return this.view!
  }

  private u32 (ptr: number | bigint, value: number): void {
    this.dv().setUint32(Number(ptr), value, true)
  }

  private u64 (ptr: number | bigint, value: bigint): void {
    this.dv().setBigUint64(Number(ptr), value, true)
  }

  private fdRead (fd: number, iovs: number, count: number, nread: number): number {
    if (fd !== 0) return Errno.BADF // the output fds are write-only
    const dv = this.dv()
    const mem = this.mem()
    const stdin = this.init.stdin
    let total = 0
    for (let i = 0; i < count && this.stdinPos < stdin.length; i++) {
      const ptr = dv.getUint32(iovs + i * IOVEC_SIZE, true)
      const len = dv.getUint32(iovs + i * IOVEC_SIZE + 4, true)
      const n = Math.min(len, stdin.length - this.stdinPos)
      if (ptr + n > mem.length) return Errno.FAULT
      mem.set(stdin.subarray(this.stdinPos, this.stdinPos + n), ptr)
      this.stdinPos += n
      total += n
    }
    dv.setUint32(nread, total, true)
    return Errno.SUCCESS
  }

  private fdWrite (fd: number, iovs: number, count: number, nwritten: number): number {
    const port = portOfFd(fd)
    if (fd !== 2 && (port === undefined || port >= MAX_PORTS)) return Errno.BADF
    const dv = this.dv()
    const mem = this.mem()
    let total = 0
    for (let i = 0; i < count; i++) {
      const ptr = dv.getUint32(iovs + i * IOVEC_SIZE, true)
      const len = dv.getUint32(iovs + i * IOVEC_SIZE + 4, true)
      if (ptr + len > mem.length) return Errno.FAULT
      total += len
      if (len === 0) continue
      if (port === undefined) {
        this.keepStderr(mem.subarray(ptr, ptr + len))
        continue
      }
      this.outputBytes += len
      if (this.outputBytes > this.init.maxOutputBytes) {
        throw new OutputLimitError(`wrote more than ${this.init.maxOutputBytes} bytes of output in one call`)
      }
      (this.ports[port] ??= []).push(mem.slice(ptr, ptr + len))
    }
    if (port !== undefined) this.ports[port] ??= [] // written, even if empty
    dv.setUint32(nwritten, total, true)
    return Errno.SUCCESS
  }

  private keepStderr (bytes: Uint8Array): void {
    const room = this.init.maxStderrBytes - this.stderrBytes
    if (room > 0) {
      const kept = bytes.subarray(0, room)
      this.stderrChunks.push(kept.slice())
      this.stderrBytes += kept.length
    }
    this.stderrDropped += bytes.length - Math.max(0, Math.min(room, bytes.length))
  }

  private fdstat (fd: number, out: number): number {
    if (!this.isOpen(fd)) return Errno.BADF
    const dv = this.dv()
    new Uint8Array(dv.buffer, out, FDSTAT_SIZE).fill(0)
    dv.setUint8(out, Filetype.UNKNOWN)
    const rights = fd === 0 ? Rights.FD_READ : Rights.FD_WRITE
    dv.setBigUint64(out + 8, rights | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET | Rights.POLL_FD_READWRITE, true)
    return Errno.SUCCESS
  }

  private filestat (fd: number, out: number): number {
    if (!this.isOpen(fd)) return Errno.BADF
    new Uint8Array(this.dv().buffer, out, FILESTAT_SIZE).fill(0) // filetype UNKNOWN, size 0, times 0
    return Errno.SUCCESS
  }
}

function concat (chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]
  let length = 0
  for (const c of chunks) length += c.length
  const out = new Uint8Array(length)
  let pos = 0
  for (const c of chunks) {
    out.set(c, pos)
    pos += c.length
  }
  return out
}
