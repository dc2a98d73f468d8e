/** The readable table printed at the end of `npm run bench` (and pasted into the README). */
import type { Figure, WorkloadResult } from './report.js'

export function formatNumber (value: number, unit: string): string {
  if (unit === 'jobs/s' || unit === 'items/s') return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) >= 100) return value.toFixed(0)
  if (Math.abs(value) >= 10) return value.toFixed(1)
  if (Math.abs(value) >= 1) return value.toFixed(2)
  return value.toFixed(3)
}

function range (f: Figure): string {
  return f.runs.length > 1 ? `${formatNumber(f.min, f.unit)} – ${formatNumber(f.max, f.unit)}` : ''
}

function pad (rows: string[][]): string {
  const widths = rows[0].map((_c, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

/** Markdown-compatible table of every figure and ratio, then the targets. */
export function formatTables (results: readonly WorkloadResult[]): string {
  const rows: string[][] = [['| Workload', '| Measure', '| Median', '| Min – max', '|'], ['|---', '|---', '|---:', '|---:', '|']]
  for (const r of results) {
    if (r.skipped != null) {
      rows.push([`| ${r.id} ${r.title}`, `| skipped: ${r.skipped}`, '| ', '| ', '|'])
      continue
    }
    for (const [name, f] of Object.entries(r.figures)) {
      rows.push([`| ${r.id} ${r.title}`, `| ${name} (${f.unit})`, `| ${formatNumber(f.median, f.unit)}`, `| ${range(f)}`, '|'])
    }
    for (const [name, q] of Object.entries(r.ratios)) {
      const spread = q.min != null && q.max != null ? `${q.min.toFixed(2)} – ${q.max.toFixed(2)}` : ''
      rows.push([`| ${r.id} ${r.title}`, `| ${name}: ${q.description}`, `| ${q.value.toFixed(2)}`, `| ${spread}`, '|'])
    }
  }
  const targets: string[][] = [['| Target', '| Goal', '| Measured', '| Met', '|'], ['|---', '|---', '|---:', '|---', '|']]
  for (const r of results) {
    for (const t of r.targets) {
      const measured = t.unit === 'ratio' || t.unit === '×' ? t.measured.toFixed(3) : formatNumber(t.measured, t.unit)
      targets.push([`| ${t.workload}: ${t.name}`, `| ${t.goal}`, `| ${measured} ${t.unit}`, `| ${t.met ? 'yes' : 'NO'}`, '|'])
    }
  }
  return `${pad(rows)}\n\n${pad(targets)}\n`
}
