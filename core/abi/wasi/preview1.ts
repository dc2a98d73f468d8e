/**
 * WASI preview 1 (`wasi_snapshot_preview1`) as far as edge-grid needs it: the import module name, every
 * function of the snapshot (a module may import only these), and the numbers the host answers with.
 * Values from the preview 1 witx (`wasi_snapshot_preview1.witx`, `typenames.witx`).
 */

export const WASI_MODULE = 'wasi_snapshot_preview1'

/** The entry point of a WASI command: one call of a function is one run of `_start`. */
export const START_EXPORT = '_start'
/** A command defines and exports its own memory under this name. */
export const MEMORY_EXPORT = 'memory'

/** Every function of preview 1: a module importing any other name from WASI_MODULE is refused. */
export const PREVIEW1_FUNCTIONS: ReadonlySet<string> = new Set([
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread',
  'fd_prestat_get', 'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek',
  'fd_sync', 'fd_tell', 'fd_write', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times',
  'path_link', 'path_open', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink',
  'path_unlink_file', 'poll_oneoff', 'proc_exit', 'proc_raise', 'random_get', 'sched_yield', 'sock_accept',
  'sock_recv', 'sock_send', 'sock_shutdown'
])

/** `errno` values the host returns (a subset of preview 1's). */
export const Errno = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  INVAL: 28,
  NOSYS: 52,
  NOTDIR: 54,
  SPIPE: 70,
  NOTCAPABLE: 76
} as const

/** `filetype`: stdio and output ports are reported as UNKNOWN, as wasmtime reports pipes. */
export const Filetype = {
  UNKNOWN: 0
} as const

/** `rights` bits. */
export const Rights = {
  FD_READ: 1n << 1n,
  FD_FDSTAT_SET_FLAGS: 1n << 3n,
  FD_WRITE: 1n << 6n,
  FD_FILESTAT_GET: 1n << 21n,
  POLL_FD_READWRITE: 1n << 27n
} as const

/** `clockid`: realtime, monotonic, process and thread CPU time. */
export const CLOCK_IDS = 4

/** Sizes of the structures the host writes. */
export const FDSTAT_SIZE = 24
export const FILESTAT_SIZE = 64
export const IOVEC_SIZE = 8
