// What an on-call engineer needs to see in a row without opening it: where
// (service, environment), what changed (version old → new, config keys) and
// which commit. Pure: reads only the event, with the common key spellings
// connectors use (camelCase and snake_case, CDEvents-style nesting).

import type { PainEvent } from '../api/types'

export interface Evidence {
  service?: string
  environment?: string
  /** For deploys/rollouts: the version before (when known) and after. */
  version?: { from?: string; to: string }
  /** For config changes: the keys that changed. */
  changedKeys?: string[]
  /** Short commit sha (7) and the full one. */
  commit?: { short: string; full: string }
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined

function first(o: Obj | null | undefined, keys: string[]): string | undefined {
  if (!o) return undefined
  for (const k of keys) {
    const v = str(o[k])
    if (v) return v
  }
  return undefined
}

export function isDeployLike(ev: Pick<PainEvent, 'kind' | 'title'>): boolean {
  const k = (ev.kind ?? '').toLowerCase()
  return /deploy|rollout|release\.deployed|environment\.modified|service\.(deployed|upgraded|rolledback|published)|deployment\./.test(k)
}

export function isConfigChange(ev: Pick<PainEvent, 'kind'>): boolean {
  return /config/i.test(ev.kind ?? '')
}

/** The tag of an image reference (`ghcr.io/a/b:2.14.0` → `2.14.0`). */
export function imageTag(image: string): string {
  const at = image.indexOf('@')
  if (at >= 0) return image.slice(at + 1, at + 1 + 19)
  const slash = image.lastIndexOf('/')
  const colon = image.lastIndexOf(':')
  return colon > slash ? image.slice(colon + 1) : image
}

const FROM_KEYS = ['previousVersion', 'previous_version', 'oldVersion', 'old_version', 'fromVersion', 'from_version', 'previous']
const TO_KEYS = ['version', 'newVersion', 'new_version', 'toVersion', 'to_version', 'tag', 'tag_name']
const FROM_IMAGE = ['previousImage', 'previous_image', 'oldImage', 'old_image', 'fromImage', 'from_image']
const TO_IMAGE = ['image', 'newImage', 'new_image', 'toImage', 'to_image']

export function versionChange(ev: PainEvent): Evidence['version'] {
  const d = isObj(ev.data) ? ev.data : {}
  const nested = [d, isObj(d.version) ? d.version : null, isObj(d.artifact) ? d.artifact : null]
  let to: string | undefined
  let from: string | undefined
  // { version: { from, to } } / { version: { old, new } }
  if (isObj(d.version)) {
    to = first(d.version, ['to', 'new', 'current'])
    from = first(d.version, ['from', 'old', 'previous'])
  }
  for (const o of nested) {
    to ??= first(o, TO_KEYS)
    from ??= first(o, FROM_KEYS)
  }
  if (!to) {
    const img = first(d, TO_IMAGE)
    if (img) to = imageTag(img)
  }
  if (!from) {
    const img = first(d, FROM_IMAGE)
    if (img) from = imageTag(img)
  }
  to ??= ev.refs?.find((r) => r.type === 'version')?.value
  if (!to) return undefined
  return from && from !== to ? { from, to } : { to }
}

/** Keys a config change touched, from the shapes connectors use. */
export function changedKeys(ev: PainEvent): string[] | undefined {
  const d = isObj(ev.data) ? ev.data : null
  if (!d) return undefined
  for (const k of ['changedKeys', 'changed_keys', 'keys']) {
    const v = d[k]
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[]
  }
  const diff = configDiff(ev)
  return diff.length ? diff.map((c) => c.key) : undefined
}

export interface ConfigChange {
  key: string
  before?: unknown
  after?: unknown
}

/**
 * The before/after pairs of a config change, from `changes: {key: {from, to}}`,
 * `changes: [{key, old, new}]`, `diff: {...}` or `before: {...}, after: {...}`.
 */
export function configDiff(ev: PainEvent): ConfigChange[] {
  const d = isObj(ev.data) ? ev.data : null
  if (!d || !isConfigChange(ev)) return []
  const src = d.changes ?? d.diff ?? d.changed
  const pair = (key: string, v: unknown): ConfigChange =>
    isObj(v)
      ? { key, before: v.from ?? v.old ?? v.before ?? v.previous, after: v.to ?? v.new ?? v.after ?? v.current }
      : { key, after: v }
  if (Array.isArray(src)) {
    return src
      .filter(isObj)
      .map((c) => pair(str(c.key) ?? str(c.path) ?? str(c.name) ?? '?', c))
  }
  if (isObj(src)) return Object.entries(src).map(([k, v]) => pair(k, v))
  if (isObj(d.before) && isObj(d.after)) {
    const b = d.before
    const a = d.after
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])]
    return keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).map((k) => ({ key: k, before: b[k], after: a[k] }))
  }
  return []
}

const SHA = /^[0-9a-f]{7,64}$/i

export function commitOf(ev: PainEvent): Evidence['commit'] {
  const ref = ev.refs?.find((r) => (r.type === 'commit' || r.type === 'sha') && SHA.test(r.value))
  const d = isObj(ev.data) ? ev.data : {}
  const full =
    ref?.value ??
    [first(d, ['sha', 'commit_sha', 'commitSha', 'head_sha', 'headSha', 'merge_commit_sha', 'after'])].find(
      (v) => v && SHA.test(v) && !/^0+$/.test(v),
    )
  return full ? { short: full.slice(0, 7), full } : undefined
}

export function evidence(ev: PainEvent): Evidence {
  const out: Evidence = {}
  if (ev.service) out.service = ev.service
  if (ev.environment) out.environment = ev.environment
  if (isDeployLike(ev)) out.version = versionChange(ev)
  if (isConfigChange(ev)) out.changedKeys = changedKeys(ev)
  out.commit = commitOf(ev)
  return out
}

/** Production-like environments (shown with emphasis — not in red: red means failure). */
export function isProduction(env: string): boolean {
  return /^prod/i.test(env)
}
