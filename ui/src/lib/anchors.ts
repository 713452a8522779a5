// Incident anchors: the events an investigation starts from — `incident.*`
// kinds and `failure` statuses — drawn as markers across the histogram.

import type { PainEvent } from '../api/types'

export const INCIDENT_KINDS = ['incident.detected', 'incident.opened', 'incident.triggered', 'incident.created', 'incident.resolved']

export function isIncident(ev: Pick<PainEvent, 'kind'>): boolean {
  return /^incident\./i.test(ev.kind ?? '')
}

export function isAnchor(ev: Pick<PainEvent, 'kind' | 'status'>): boolean {
  return isIncident(ev) || (ev.status ?? '').toLowerCase() === 'failure'
}

/** Anchors from several sources (queries, loaded events), deduplicated, oldest first, at most `max`. */
export function collectAnchors(lists: (PainEvent[] | undefined)[], max = 200): PainEvent[] {
  const m = new Map<string, PainEvent>()
  for (const l of lists) for (const ev of l ?? []) if (isAnchor(ev) && !m.has(ev.id)) m.set(ev.id, ev)
  const all = [...m.values()].sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1))
  return all.length > max ? all.slice(all.length - max) : all
}
