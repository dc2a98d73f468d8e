/**
 * CPU time and resident memory of a running process, read from /proc (Linux): for figures taken while a
 * process keeps running (the probe in probe.ts reports only at exit). Undefined elsewhere or once it ended.
 */
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100

/** User + system CPU time of `pid` so far, ms (threads included). */
export function cpuMsOf (pid: number | undefined): number | undefined {
  if (pid == null) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** Resident memory of `pid` now, MB (10^6 bytes). */
export function rssMBOf (pid: number | undefined): number | undefined {
  if (pid == null) return undefined
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m)
    return m != null ? Number(m[1]) * 1024 / 1e6 : undefined
  } catch {
    return undefined
  }
}
