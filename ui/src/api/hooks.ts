import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api, request } from './client'
import type { ApiToken, ConnectorType, Integration, PainEvent, Project, Team, TimelineResponse } from './types'
import { apiParams, type Filters } from '../lib/filters'

export const PAGE_SIZE = 100

export const keys = {
  types: ['integration-types'] as const,
  integrations: ['integrations'] as const,
  teams: ['teams'] as const,
  projects: ['projects'] as const,
  tokens: ['tokens'] as const,
  events: (qs: string) => ['events', qs] as const,
  timeline: (qs: string) => ['timeline', qs] as const,
  event: (id: string) => ['event', id] as const,
}

export function useConnectorTypes() {
  return useQuery({
    queryKey: keys.types,
    queryFn: ({ signal }) => api.get<ConnectorType[]>('/api/integrations/types', signal),
    staleTime: 60_000,
  })
}

export function useIntegrations() {
  return useQuery({
    queryKey: keys.integrations,
    queryFn: ({ signal }) => api.get<Integration[]>('/api/integrations', signal),
    staleTime: 15_000,
  })
}

export function useTeams() {
  return useQuery({
    queryKey: keys.teams,
    queryFn: ({ signal }) => api.get<Team[]>('/api/teams', signal),
    staleTime: 60_000,
  })
}

export function useProjects() {
  return useQuery({
    queryKey: keys.projects,
    queryFn: ({ signal }) => api.get<Project[]>('/api/projects', signal),
    staleTime: 60_000,
  })
}

export function useTokens(enabled = true) {
  return useQuery({
    queryKey: keys.tokens,
    queryFn: ({ signal }) => api.get<ApiToken[]>('/api/tokens', signal),
    enabled,
  })
}

export interface EventPage {
  events: PainEvent[]
  next: string | null
}

/** The list: `/api/events` newest first, one keyset page at a time. */
export function useEventPages(filters: Filters) {
  const qs = apiParams(filters).toString()
  return useInfiniteQuery({
    queryKey: keys.events(qs),
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam, signal }): Promise<EventPage> => {
      const p = new URLSearchParams(qs)
      p.set('limit', String(PAGE_SIZE))
      if (pageParam) p.set('cursor', pageParam)
      const res = await request<PainEvent[]>('GET', `/api/events?${p}`, undefined, signal)
      const events = Array.isArray(res.data) ? res.data : []
      let next = res.headers.get('x-next-cursor')
      if (!next) {
        const link = res.headers.get('link')
        const m = link && /<([^>]+)>;\s*rel="?next"?/.exec(link)
        if (m) next = new URL(m[1], location.origin).searchParams.get('cursor')
      }
      if (events.length < PAGE_SIZE) next = null
      return { events, next: next || null }
    },
    getNextPageParam: (last) => last.next ?? undefined,
    staleTime: 30_000,
  })
}

/** Histogram + group counts from `/api/timeline` (one cheap request, 1 event). */
export function useTimelineSummary(filters: Filters, groupBy: 'project' | 'connector') {
  const p = apiParams(filters)
  p.set('limit', '1')
  p.set('groupBy', groupBy)
  p.set('stackBy', 'connector')
  const qs = p.toString()
  return useQuery({
    queryKey: keys.timeline(qs),
    queryFn: ({ signal }) => api.get<TimelineResponse>(`/api/timeline?${qs}`, signal),
    staleTime: 30_000,
    placeholderData: (prev) => prev,
  })
}

export function useEvent(id: string | null, initial?: PainEvent) {
  return useQuery({
    queryKey: keys.event(id ?? ''),
    queryFn: ({ signal }) => api.get<PainEvent>(`/api/events/${encodeURIComponent(id!)}`, signal),
    enabled: !!id,
    initialData: initial,
    staleTime: 60_000,
  })
}
