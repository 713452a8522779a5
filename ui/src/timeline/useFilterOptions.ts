// The values each filter menu offers: from projects, teams, integrations, the
// loaded events and the histogram's counts.
import { useMemo } from 'react'
import { useIntegrations, useProjects, useTeams } from '../api/hooks'
import type { Bucket, PainEvent } from '../api/types'
import type { Option } from '../components/FilterMenu'
import { useConnector } from '../components/connectors'

const DOCUMENTED_KINDS = [
  'change.opened', 'change.merged', 'change.closed', 'branch.pushed', 'branch.created', 'tag.created', 'release.published',
  'pipelinerun.started', 'pipelinerun.finished', 'artifact.published', 'service.deployed', 'deployment.scaled',
  'config.changed', 'pod.failed', 'incident.detected',
]

export function useFilterOptions(events: PainEvent[], buckets: Bucket[] | undefined) {
  const projects = useProjects()
  const teams = useTeams()
  const integrations = useIntegrations()
  const connector = useConnector()
  return useMemo(() => {
    const connectors = new Map<string, Option>()
    const projectsM = new Map<string, Option>()
    const tags = new Set<string>()
    const kinds = new Set<string>(DOCUMENTED_KINDS)
    const envs = new Set<string>()
    for (const p of projects.data ?? []) {
      projectsM.set(p.name, { value: p.name, count: p.eventCount })
      for (const c of p.connectors ?? [p.connector]) connectors.set(c, { value: c })
      for (const t of p.tags ?? []) tags.add(t)
    }
    for (const t of teams.data ?? []) for (const tag of t.tags) tags.add(tag)
    for (const i of integrations.data ?? []) {
      connectors.set(i.type, { value: i.type })
      const ct = i.config?.tags
      if (Array.isArray(ct)) for (const t of ct) if (typeof t === 'string') tags.add(t)
    }
    for (const ev of events) {
      connectors.set(ev.connector, connectors.get(ev.connector) ?? { value: ev.connector })
      if (!projectsM.has(ev.project)) projectsM.set(ev.project, { value: ev.project })
      for (const t of ev.tags ?? []) tags.add(t)
      if (ev.kind) kinds.add(ev.kind)
      if (ev.environment) envs.add(ev.environment)
    }
    // Counts in the current view, from the histogram.
    const inView = new Map<string, number>()
    for (const b of buckets ?? []) for (const [k, n] of Object.entries(b.counts ?? {})) inView.set(k, (inView.get(k) ?? 0) + n)
    for (const c of inView.keys()) if (!connectors.has(c)) connectors.set(c, { value: c })
    return {
      connector: [...connectors.values()]
        .map((o) => ({ ...o, label: connector(o.value).name, color: connector(o.value).color, count: inView.get(o.value) ?? 0 }))
        .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
      project: [...projectsM.values()].sort((a, b) => (b.count ?? 0) - (a.count ?? 0)),
      team: (teams.data ?? []).map((t) => ({ value: t.name, label: `${t.name}`, count: undefined })),
      tag: [...tags].sort().map((t) => ({ value: t })),
      kind: [...kinds].sort().map((k) => ({ value: k })),
      environment: [...envs].sort().map((e) => ({ value: e })),
    }
  }, [projects.data, teams.data, integrations.data, events, buckets, connector])
}
