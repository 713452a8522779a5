// "Group by change": events that share a ref (a commit sha, a PR, an image)
// are one change story — PR merged → push → CI → image → deploy. Pure logic
// over the loaded events; the list renders a story as one collapsible row.

import type { PainEvent } from '../api/types'
import { isFailureStatus } from './jsonRules'

/**
 * Ref types too broad to link events (every push to `main` shares
 * `branch:main`). Everything else — commit, pr, image, version, run... —
 * identifies one change.
 */
const BROAD = new Set(['branch', 'environment', 'env', 'namespace', 'cluster', 'repo', 'repository', 'project', 'service', 'team', 'tag'])

export type StepStage = 'pr' | 'push' | 'ci' | 'image' | 'deploy' | 'release' | 'config' | 'incident' | 'other'

export interface Story {
  /** Stable id: the smallest ref key in the story. */
  key: string
  /** Oldest first: the order the change happened in. */
  steps: PainEvent[]
  newest: string
  /** The refs the steps share (at least one per link). */
  refs: string[]
  status: 'failure' | 'running' | 'success' | 'unknown'
}

export type StoryItem = { type: 'story'; story: Story } | { type: 'event'; ev: PainEvent }

export function refKey(r: { type: string; value: string }): string | null {
  if (!r?.value || BROAD.has(r.type.toLowerCase())) return null
  // `sha` and `commit` name the same thing; shas compare case-insensitively.
  const commit = r.type === 'commit' || r.type === 'sha'
  return `${commit ? 'commit' : r.type}:${commit ? r.value.toLowerCase() : r.value}`
}

export function stage(ev: Pick<PainEvent, 'kind'>): StepStage {
  const k = (ev.kind ?? '').toLowerCase()
  if (/^incident|pod\.failed/.test(k)) return 'incident'
  if (/^change\.|pull|merge/.test(k)) return 'pr'
  if (/^branch\.|push|commit/.test(k)) return 'push'
  if (/pipeline|build|test|ci|workflow|taskrun/.test(k)) return 'ci'
  if (/artifact|image/.test(k)) return 'image'
  if (/deploy|rollout|service\.|environment\./.test(k)) return 'deploy'
  if (/release|tag\./.test(k)) return 'release'
  if (/config/.test(k)) return 'config'
  return 'other'
}

const RUNNING = /^(running|started|pending|queued|in_progress|progressing)$/i

export function storyStatus(steps: PainEvent[]): Story['status'] {
  if (steps.some((e) => isFailureStatus(e.status))) return 'failure'
  const last = steps[steps.length - 1]
  if (last?.status && RUNNING.test(last.status)) return 'running'
  if (steps.some((e) => e.status)) return 'success'
  return 'unknown'
}

const byTime = (a: PainEvent, b: PainEvent) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : 1)

/**
 * Groups events (any order) into stories and lone events, newest first.
 * Union-find over ref keys: two events are in one story when a chain of
 * shared refs links them.
 */
export function groupStories(events: PainEvent[]): StoryItem[] {
  const parent = new Map<number, number>()
  const find = (i: number): number => {
    let r = i
    while (parent.get(r)! !== r) r = parent.get(r)!
    // path compression
    let c = i
    while (parent.get(c)! !== r) {
      const n = parent.get(c)!
      parent.set(c, r)
      c = n
    }
    return r
  }
  const owner = new Map<string, number>()
  const seen = new Set<string>()
  const list: PainEvent[] = []
  for (const ev of events) {
    if (seen.has(ev.id)) continue
    seen.add(ev.id)
    list.push(ev)
  }
  list.forEach((_, i) => parent.set(i, i))
  list.forEach((ev, i) => {
    for (const r of ev.refs ?? []) {
      const k = refKey(r)
      if (!k) continue
      const o = owner.get(k)
      if (o == null) owner.set(k, i)
      else {
        const a = find(o)
        const b = find(i)
        if (a !== b) parent.set(Math.max(a, b), Math.min(a, b))
      }
    }
  })
  const groups = new Map<number, PainEvent[]>()
  list.forEach((ev, i) => {
    const r = find(i)
    let g = groups.get(r)
    if (!g) groups.set(r, (g = []))
    g.push(ev)
  })
  const out: { at: string; id: string; item: StoryItem }[] = []
  for (const g of groups.values()) {
    if (g.length === 1) {
      out.push({ at: g[0].timestamp, id: g[0].id, item: { type: 'event', ev: g[0] } })
      continue
    }
    const steps = g.slice().sort(byTime)
    const counts = new Map<string, number>()
    for (const e of steps) for (const r of e.refs ?? []) {
      const k = refKey(r)
      if (k) counts.set(k, (counts.get(k) ?? 0) + 1)
    }
    const refs = [...counts.entries()].filter(([, n]) => n > 1).map(([k]) => k).sort()
    const newest = steps[steps.length - 1]
    out.push({
      at: newest.timestamp,
      id: newest.id,
      item: { type: 'story', story: { key: refs[0] ?? newest.id, steps, newest: newest.timestamp, refs, status: storyStatus(steps) } },
    })
  }
  out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : -1))
  return out.map((o) => o.item)
}
