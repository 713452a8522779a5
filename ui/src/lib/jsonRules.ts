// The generic JSON renderer's detection rules. No connector-specific code:
// every decision is made from a key's name and a value's shape.

export type Scalar = string | number | boolean | null

export type ValueKind =
  | 'null'
  | 'boolean'
  | 'number'
  | 'url'
  | 'timestamp'
  | 'user'
  | 'status'
  | 'sha'
  | 'email'
  | 'text'
  | 'multiline'
  | 'object'
  | 'table'
  | 'list'

const USER_KEYS = new Set([
  'author',
  'user',
  'actor',
  'creator',
  'sender',
  'login',
  'owner',
  'committer',
  'assignee',
  'reviewer',
  'merged_by',
  'mergedby',
  'triggered_by',
  'triggeredby',
  'triggering_actor',
  'username',
  'requested_by',
  'pusher',
  'approver',
  'released_by',
])

/** Keys whose string value names a person. Matches `author`, `pr_author`, `mergedBy`, `user.login`... */
export function isUserKey(key: string): boolean {
  const k = key.toLowerCase()
  if (USER_KEYS.has(k)) return true
  const norm = k.replace(/[^a-z]/g, '_')
  const parts = norm.split('_').filter(Boolean)
  if (parts.length === 0) return false
  const last = parts[parts.length - 1]
  if (['author', 'user', 'actor', 'creator', 'sender', 'login', 'committer', 'assignee', 'pusher', 'username'].includes(last))
    return true
  return /(author|actor|creator|sender|committer|pusher)$/i.test(key) || /(merged|triggered|requested|released)by$/i.test(key)
}

const STATUS_VALUES = new Set([
  'success',
  'succeeded',
  'successful',
  'passed',
  'ok',
  'healthy',
  'completed',
  'complete',
  'done',
  'merged',
  'deployed',
  'active',
  'running',
  'ready',
  'failure',
  'failed',
  'fail',
  'error',
  'errored',
  'timed_out',
  'timeout',
  'crashed',
  'crashloopbackoff',
  'unhealthy',
  'degraded',
  'pending',
  'queued',
  'waiting',
  'in_progress',
  'inprogress',
  'started',
  'requested',
  'syncing',
  'progressing',
  'cancelled',
  'canceled',
  'skipped',
  'neutral',
  'stale',
  'action_required',
  'closed',
  'open',
  'opened',
  'draft',
  'inactive',
  'unknown',
])

const STATUS_KEY = /(^|_|\b)(status|state|conclusion|result|outcome|phase|health|severity)$/i

/** A status-like string: a known status word, or a short word under a status-like key. */
export function isStatusValue(key: string, value: unknown): boolean {
  if (typeof value !== 'string') return false
  const v = value.trim().toLowerCase().replace(/[\s-]+/g, '_')
  if (STATUS_VALUES.has(v)) return STATUS_KEY.test(key) || isStrongStatus(v)
  return STATUS_KEY.test(key) && /^[a-z_]{2,24}$/.test(v)
}

function isStrongStatus(v: string): boolean {
  // Words that are statuses whatever the key (but `open`, `done`, `active` are not).
  return [
    'success',
    'succeeded',
    'failure',
    'failed',
    'errored',
    'timed_out',
    'in_progress',
    'pending',
    'queued',
    'cancelled',
    'canceled',
    'crashloopbackoff',
  ].includes(v)
}

export type Tone = 'success' | 'failure' | 'warning' | 'running' | 'neutral'

export function statusTone(status: string | null | undefined): Tone {
  if (!status) return 'neutral'
  const v = status.toLowerCase().replace(/[\s-]+/g, '_')
  if (/^(success|succeeded|successful|passed|ok|healthy|completed?|done|merged|deployed|active|ready|published)$/.test(v))
    return 'success'
  if (/^(failure|failed|fail|error|errored|timed_out|timeout|crashed|crashloopbackoff|unhealthy|critical)$/.test(v))
    return 'failure'
  if (/^(pending|queued|waiting|requested|action_required|degraded|warning|stale|draft)$/.test(v)) return 'warning'
  if (/^(in_progress|inprogress|running|started|syncing|progressing)$/.test(v)) return 'running'
  return 'neutral'
}

export function isFailureStatus(status: string | null | undefined): boolean {
  return statusTone(status) === 'failure'
}

export function isUrl(value: unknown): boolean {
  return typeof value === 'string' && /^https?:\/\/[^\s]+$/i.test(value.trim())
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/

/** An ISO-8601 / RFC 3339 timestamp string (a bare date counts under a time-like key). */
export function isTimestamp(key: string, value: unknown): boolean {
  if (typeof value !== 'string') return false
  const v = value.trim()
  if (ISO_RE.test(v)) return !Number.isNaN(Date.parse(v.replace(' ', 'T')))
  if (/^\d{4}-\d{2}-\d{2}$/.test(v) && /(date|_at|At|time|day)$/.test(key)) return !Number.isNaN(Date.parse(v))
  return false
}

/** A git commit id: 40 (or 64) hex digits, or 7+ hex digits under a sha/commit-like key. */
export function isSha(key: string, value: unknown): boolean {
  if (typeof value !== 'string') return false
  const v = value.trim()
  if (/^[0-9a-f]{40}$/i.test(v) || /^[0-9a-f]{64}$/i.test(v)) return true
  if (/^[0-9a-f]{7,39}$/i.test(v) && /[a-f]/i.test(v) && /\d/.test(v))
    return /(sha|commit|hash|revision|rev|head|before|after|digest|parent)/i.test(key)
  return false
}

export function shortSha(sha: string): string {
  return sha.length > 12 ? sha.slice(0, 7) : sha
}

export function isEmail(value: unknown): boolean {
  return typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
}

function isScalar(v: unknown): v is Scalar {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v)
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** An array of objects whose values are all scalars: shown as a table. */
export function isFlatObjectArray(v: unknown): v is Record<string, Scalar>[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((item) => isPlainObject(item) && Object.values(item).every(isScalar))
  )
}

/** Table columns: the union of keys, in first-seen order. */
export function tableColumns(rows: Record<string, unknown>[]): string[] {
  const cols: string[] = []
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k)
  return cols
}

/** How to render `value` found under `key`. Order matters: the first rule that matches wins. */
export function detectKind(key: string, value: unknown): ValueKind {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return 'number'
  if (Array.isArray(value)) return isFlatObjectArray(value) ? 'table' : 'list'
  if (isPlainObject(value)) return 'object'
  const s = String(value)
  if (isUrl(s)) return 'url'
  if (isTimestamp(key, s)) return 'timestamp'
  if (isSha(key, s)) return 'sha'
  if (isUserKey(key) && s.length <= 100 && !s.includes('\n')) return 'user'
  if (isStatusValue(key, s)) return 'status'
  if (isEmail(s)) return 'email'
  if (s.includes('\n') || s.length > 160) return 'multiline'
  return 'text'
}

/** `pull_request` → `Pull request`, `headCommitSha` → `Head commit sha`. */
export function humanizeKey(key: string): string {
  const spaced = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase()
  return spaced ? spaced[0].toUpperCase() + spaced.slice(1) : key
}

/** A user object (`{login, avatar_url, ...}`) collapsed to its name, for chips. */
export function userName(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (isPlainObject(value)) {
    for (const k of ['login', 'username', 'name', 'email', 'display_name', 'displayName']) {
      const v = value[k]
      if (typeof v === 'string' && v) return v
    }
  }
  return null
}

export function avatarOf(value: unknown): string | null {
  if (isPlainObject(value)) {
    const a = value.avatar_url ?? value.avatarUrl
    if (typeof a === 'string' && isUrl(a)) return a
  }
  return null
}

/** Short one-line text for a value, used in list rows and table cells. */
export function summarize(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—'
  if (Array.isArray(value)) return `${value.length} item${value.length === 1 ? '' : 's'}`
  if (isPlainObject(value)) {
    const u = isUserKey(key) ? userName(value) : null
    if (u) return u
    const keys = Object.keys(value)
    return `{${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''}}`
  }
  const s = String(value)
  if (isSha(key, s)) return shortSha(s)
  return s.length > 80 ? s.slice(0, 77) + '…' : s
}
