// Timeline view state <-> URL query string. Every filter lives in the URL so
// a copied link reproduces the view. Parameter names match the HTTP API's
// filters where one exists, so the same string can be forwarded.

export const PRESETS = ['15m', '1h', '6h', '24h', '7d', '30d'] as const
export type Preset = (typeof PRESETS)[number]
export const DEFAULT_SINCE = '7d'

/** Statuses the "failures only" toggle selects. */
export const FAILURE_STATUSES = ['failure', 'failed', 'error', 'errored', 'timed_out'] as const

/** `change`: events sharing refs (PR → push → CI → deploy) as one story row. */
export type GroupBy = 'none' | 'project' | 'connector' | 'change'

export interface Filters {
  /** Relative range (`15m`, `7d`...), `all` for no time bound; ignored when start/end are set. */
  since: string
  start?: string
  end?: string
  connector: string[]
  project: string[]
  team: string[]
  tag: string[]
  kind: string[]
  status: string[]
  environment: string[]
  ref: string[]
  failures: boolean
  q: string
  group: GroupBy
}

const LISTS = ['connector', 'project', 'team', 'tag', 'kind', 'status', 'environment', 'ref'] as const
type ListKey = (typeof LISTS)[number]

export function emptyFilters(): Filters {
  return {
    since: DEFAULT_SINCE,
    connector: [],
    project: [],
    team: [],
    tag: [],
    kind: [],
    status: [],
    environment: [],
    ref: [],
    failures: false,
    q: '',
    group: 'none',
  }
}

function uniq(values: string[]): string[] {
  const out: string[] = []
  for (const v of values) {
    const t = v.trim()
    if (t && !out.includes(t)) out.push(t)
  }
  return out
}

export function isValidSince(s: string): boolean {
  return s === 'all' || /^\d+[smhdw]$/.test(s)
}

function validDate(s: string | null): string | undefined {
  if (!s) return undefined
  const t = Date.parse(s)
  return Number.isNaN(t) ? undefined : s
}

export function parseFilters(params: URLSearchParams): Filters {
  const f = emptyFilters()
  const since = params.get('since')
  if (since && isValidSince(since)) f.since = since
  f.start = validDate(params.get('startDate'))
  f.end = validDate(params.get('endDate'))
  for (const k of LISTS) f[k] = uniq(params.getAll(k).flatMap((v) => (k === 'ref' ? [v] : v.split(','))))
  f.failures = params.get('failures') === '1' || params.get('failures') === 'true'
  f.q = params.get('q') ?? ''
  const g = params.get('group')
  f.group = g === 'project' || g === 'connector' || g === 'change' ? g : 'none'
  return f
}

/** The URL query for a view; defaults are left out so links stay short. */
export function serializeFilters(f: Filters): URLSearchParams {
  const p = new URLSearchParams()
  if (f.start || f.end) {
    if (f.start) p.set('startDate', f.start)
    if (f.end) p.set('endDate', f.end)
  } else if (f.since !== DEFAULT_SINCE) {
    p.set('since', f.since)
  }
  for (const k of LISTS) for (const v of uniq(f[k])) p.append(k, v)
  if (f.failures) p.set('failures', '1')
  if (f.q.trim()) p.set('q', f.q.trim())
  if (f.group !== 'none') p.set('group', f.group)
  return p
}

/** Query parameters for the API (`/api/events`, `/api/timeline`, the stream). */
export function apiParams(f: Filters, opts: { withTime?: boolean } = {}): URLSearchParams {
  const p = new URLSearchParams()
  const { withTime = true } = opts
  if (withTime) {
    if (f.start || f.end) {
      if (f.start) p.set('startDate', new Date(f.start).toISOString())
      if (f.end) p.set('endDate', new Date(f.end).toISOString())
    } else if (f.since !== 'all' && sinceMs(f.since) != null) {
      // `all` (and anything else that is no duration) means no time bound:
      // the API only accepts durations, so the parameter is left out.
      p.set('since', f.since)
    }
  }
  for (const k of LISTS) {
    if (k === 'status') continue
    for (const v of uniq(f[k])) p.append(k, v)
  }
  const statuses = f.failures ? uniq([...f.status, ...FAILURE_STATUSES]) : uniq(f.status)
  for (const s of statuses) p.append('status', s)
  if (f.q.trim()) p.set('q', f.q.trim())
  return p
}

export function activeFilterCount(f: Filters): number {
  let n = 0
  for (const k of LISTS) n += f[k].length
  if (f.failures) n++
  if (f.q.trim()) n++
  return n
}

export function hasActiveFilters(f: Filters): boolean {
  return activeFilterCount(f) > 0 || !!f.start || !!f.end || f.since !== DEFAULT_SINCE
}

/** Everything cleared, keeping the grouping (a layout choice, not a filter). */
export function clearFilters(f: Filters): Filters {
  return { ...emptyFilters(), group: f.group }
}

export function toggleValue(f: Filters, key: ListKey, value: string): Filters {
  const list = f[key]
  return { ...f, [key]: list.includes(value) ? list.filter((v) => v !== value) : [...list, value] }
}

export function setList(f: Filters, key: ListKey, values: string[]): Filters {
  return { ...f, [key]: uniq(values) }
}

export type { ListKey }
export { LISTS }

/** Length of a relative range in milliseconds (`15m` → 900000); null for `all`. */
export function sinceMs(since: string): number | null {
  const m = /^(\d+)([smhdw])$/.exec(since)
  if (!m) return null
  const n = Number(m[1])
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w']
  return n * unit
}

/** The absolute window a view covers right now, in ms since epoch. */
export function timeWindow(f: Filters, now = Date.now()): { from: number | null; to: number } {
  if (f.start || f.end) {
    return { from: f.start ? Date.parse(f.start) : null, to: f.end ? Date.parse(f.end) : now }
  }
  const ms = sinceMs(f.since)
  return { from: ms == null ? null : now - ms, to: now }
}

/** Whether new events can still arrive in this view (the range reaches now). */
export function isLive(f: Filters, now = Date.now()): boolean {
  if (!f.end) return true
  return Date.parse(f.end) >= now - 5000
}

/** The window before an event (default 2 h), keeping the grouping: "what changed before this?" */
export function changesBefore(
  f: Filters,
  ev: { timestamp: string; environment?: string | null },
  windowMs = 2 * 3600e3,
): Filters {
  const t = Date.parse(ev.timestamp)
  return {
    ...emptyFilters(),
    group: f.group,
    start: new Date(t - windowMs).toISOString(),
    // Inclusive of the event itself, so it stays in the list as the anchor.
    end: new Date(t + 1000).toISOString(),
    environment: ev.environment ? [ev.environment] : [],
  }
}
