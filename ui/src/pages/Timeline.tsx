import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Link } from 'react-router'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEventPages, useIntegrations, useProjects, useTeams, useTimelineSummary } from '../api/hooks'
import { api, ApiError, errorMessage } from '../api/client'
import { openEventStream, type StreamState } from '../api/stream'
import type { PainEvent } from '../api/types'
import {
  activeFilterCount,
  apiParams,
  clearFilters,
  hasActiveFilters,
  isLive,
  timeWindow,
  type Filters,
  type GroupBy,
  type ListKey,
} from '../lib/filters'
import { useFilters } from '../lib/useFilters'
import { useFieldVisibility, visibilityKey } from '../lib/fieldVisibility'
import { setUtc, useUtc, localZoneName } from '../lib/time'
import { useConnector } from '../components/connectors'
import { FilterMenu, type Option } from '../components/FilterMenu'
import { TimeRange } from '../components/TimeRange'
import { Histogram } from '../components/Histogram'
import { EventRow, SkeletonRows } from '../components/EventRow'
import { DetailPanel } from '../components/DetailPanel'
import { Icon } from '../components/ui'

const DOCUMENTED_KINDS = [
  'change.opened',
  'change.merged',
  'change.closed',
  'branch.pushed',
  'branch.created',
  'tag.created',
  'release.published',
  'pipelinerun.started',
  'pipelinerun.finished',
  'artifact.published',
  'service.deployed',
  'deployment.scaled',
  'config.changed',
  'pod.failed',
  'incident.detected',
]

const NO_FIELDS: string[] = []
const ROW_H = 52
const GROUP_H = 34
const FOOT_H = 44

type Item =
  | { type: 'group'; key: string; count: number; total?: number; collapsed: boolean }
  | { type: 'row'; ev: PainEvent; rowIndex: number }
  | { type: 'foot' }

function byTimeDesc(a: PainEvent, b: PainEvent) {
  return a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : a.id < b.id ? 1 : -1
}

export function TimelinePage() {
  const { filters, setFilters, selected, setSelected } = useFilters()
  const qc = useQueryClient()
  const utc = useUtc()
  const connector = useConnector()
  const groupBy: 'project' | 'connector' = filters.group === 'connector' ? 'connector' : 'project'
  const pages = useEventPages(filters)
  const summary = useTimelineSummary(filters, groupBy)
  const projects = useProjects()
  const teams = useTeams()
  const integrations = useIntegrations()
  const listRef = useRef<HTMLDivElement>(null)
  const searchRef = useRef<HTMLInputElement>(null)
  const streamKey = apiParams(filters, { withTime: false }).toString()

  // ---- live updates ----
  const [live, setLive] = useState<PainEvent[]>([])
  const [pending, setPending] = useState<PainEvent[]>([])
  const [streamState, setStreamState] = useState<StreamState>('connecting')
  const awayRef = useRef(false)
  const liveView = isLive(filters)
  useEffect(() => {
    setLive([])
    setPending([])
  }, [streamKey, filters.since, filters.start, filters.end])
  useEffect(() => {
    if (!liveView) {
      setStreamState('closed')
      return
    }
    let refetchTimer: ReturnType<typeof setTimeout> | undefined
    const from = filters.start ? Date.parse(filters.start) : null
    const h = openEventStream(
      streamKey,
      (ev) => {
        if (from != null && Date.parse(ev.timestamp) < from) return
        if (awayRef.current) setPending((p) => (p.some((x) => x.id === ev.id) ? p : [ev, ...p]))
        else setLive((l) => [ev, ...l.filter((x) => x.id !== ev.id)])
        clearTimeout(refetchTimer)
        refetchTimer = setTimeout(() => qc.invalidateQueries({ queryKey: ['timeline'] }), 1500)
      },
      setStreamState,
    )
    return () => {
      clearTimeout(refetchTimer)
      h.close()
    }
  }, [streamKey, liveView, filters.start, qc])

  const loaded = useMemo(() => pages.data?.pages.flatMap((p) => p.events) ?? [], [pages.data])
  const events = useMemo(() => {
    if (!live.length) return loaded
    const seen = new Set(loaded.map((e) => e.id))
    const fresh = live.filter((e) => !seen.has(e.id))
    return fresh.length ? [...fresh, ...loaded].sort(byTimeDesc) : loaded
  }, [loaded, live])

  // ---- grouping ----
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set())
  const groupTotals = useMemo(() => {
    const m = new Map<string, number>()
    if (summary.data?.groupBy === groupBy) for (const g of summary.data.groups ?? []) m.set(g.key, g.count)
    return m
  }, [summary.data, groupBy])
  const items: Item[] = useMemo(() => {
    const out: Item[] = []
    if (filters.group === 'none') {
      events.forEach((ev, i) => out.push({ type: 'row', ev, rowIndex: i }))
    } else {
      const groups = new Map<string, PainEvent[]>()
      for (const ev of events) {
        const k = filters.group === 'project' ? ev.project : ev.connector
        let g = groups.get(k)
        if (!g) groups.set(k, (g = []))
        g.push(ev)
      }
      let rowIndex = 0
      for (const [k, evs] of groups) {
        const isCollapsed = collapsed.has(k)
        out.push({ type: 'group', key: k, count: evs.length, total: groupTotals.get(k), collapsed: isCollapsed })
        if (!isCollapsed) for (const ev of evs) out.push({ type: 'row', ev, rowIndex: rowIndex++ })
      }
    }
    if (events.length) out.push({ type: 'foot' })
    return out
  }, [events, filters.group, collapsed, groupTotals])

  const virt = useVirtualizer({
    count: items.length,
    getScrollElement: () => listRef.current,
    estimateSize: (i) => (items[i]?.type === 'group' ? GROUP_H : items[i]?.type === 'foot' ? FOOT_H : ROW_H),
    overscan: 12,
    getItemKey: (i) => {
      const it = items[i]
      return it.type === 'row' ? `r:${it.ev.id}` : it.type === 'group' ? `g:${it.key}` : 'foot'
    },
  })
  const vItems = virt.getVirtualItems()

  // infinite scroll
  const lastIndex = vItems.length ? vItems[vItems.length - 1].index : -1
  useEffect(() => {
    if (lastIndex >= items.length - 15 && pages.hasNextPage && !pages.isFetchingNextPage && !pages.isError) pages.fetchNextPage()
  }, [lastIndex, items.length, pages])

  const onScroll = useCallback(() => {
    const away = (listRef.current?.scrollTop ?? 0) > 60
    awayRef.current = away
    if (!away) {
      setPending((p) => {
        if (p.length) setLive((l) => [...p, ...l])
        return []
      })
    }
  }, [])

  const showPending = () => {
    setLive((l) => [...pending, ...l])
    setPending([])
    awayRef.current = false
    listRef.current?.scrollTo({ top: 0 })
  }

  // ---- keyboard navigation ----
  const rowItems = useMemo(() => items.map((it, i) => (it.type === 'row' ? i : -1)).filter((i) => i >= 0), [items])
  const [focusIdx, setFocusIdx] = useState(-1)
  const focusedId = focusIdx >= 0 && items[focusIdx]?.type === 'row' ? (items[focusIdx] as { ev: PainEvent }).ev.id : null
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) {
        if (e.key === 'Escape' && t === searchRef.current) t.blur()
        return
      }
      if (e.metaKey || e.ctrlKey || e.altKey) return
      if (document.querySelector('.popover, .modal-back')) return
      if (e.key === 'j' || e.key === 'k' || e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && t !== listRef.current) return
        e.preventDefault()
        const pos = rowItems.indexOf(focusIdx)
        const down = e.key === 'j' || e.key === 'ArrowDown'
        const nextPos = pos < 0 ? 0 : Math.max(0, Math.min(rowItems.length - 1, pos + (down ? 1 : -1)))
        const idx = rowItems[nextPos]
        if (idx == null) return
        setFocusIdx(idx)
        virt.scrollToIndex(idx, { align: 'auto' })
        // With the panel open, moving also shows the newly focused event.
        const it = items[idx]
        if (selected && it?.type === 'row') setSelected(it.ev.id)
      } else if (e.key === 'Enter' || e.key === 'o') {
        const it = items[focusIdx]
        if (it?.type === 'row') {
          e.preventDefault()
          setSelected(it.ev.id)
        }
      } else if (e.key === 'Escape') {
        if (selected) {
          e.preventDefault()
          setSelected(null)
          listRef.current?.focus()
        }
      } else if (e.key === '/') {
        e.preventDefault()
        searchRef.current?.focus()
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [rowItems, focusIdx, items, selected, setSelected, virt])

  const onOpen = useCallback(
    (id: string, index: number) => {
      setSelected(id)
      const i = items.findIndex((it) => it.type === 'row' && it.ev.id === id)
      setFocusIdx(i >= 0 ? i : index)
    },
    [setSelected, items],
  )

  // ---- filter options ----
  const opts = useMemo(() => {
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
    for (const b of summary.data?.buckets ?? []) for (const [k, n] of Object.entries(b.counts ?? {})) inView.set(k, (inView.get(k) ?? 0) + n)
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
  }, [projects.data, teams.data, integrations.data, events, summary.data, connector])

  const set = (k: ListKey) => (values: string[]) => setFilters((f) => ({ ...f, [k]: values }))
  const patch = (p: Partial<Filters>, replace = false) => setFilters((f) => ({ ...f, ...p }), { replace })

  // ---- search (debounced into the URL) ----
  const [q, setQ] = useState(filters.q)
  useEffect(() => setQ(filters.q), [filters.q])
  useEffect(() => {
    if (q === filters.q) return
    const t = setTimeout(() => patch({ q }, true), 300)
    return () => clearTimeout(t)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q])

  const vis = useFieldVisibility()
  // Recomputed when the view or its data changes, not on every render (a new
  // `to` would redraw the chart on each scroll frame).
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const win = useMemo(() => timeWindow(filters), [filters, summary.dataUpdatedAt])
  const onZoom = useCallback(
    (a: number, b: number) => setFilters((f) => ({ ...f, start: new Date(a).toISOString(), end: new Date(b).toISOString() })),
    [setFilters],
  )
  const selectedEvent = selected ? events.find((e) => e.id === selected) : undefined
  const total = summary.data?.total
  const active = hasActiveFilters(filters)

  // ---- states ----
  const err = pages.error as ApiError | null
  const emptyAll = !pages.isLoading && !pages.isError && events.length === 0
  const anyEvents = useQuery({
    queryKey: ['any-events'],
    queryFn: ({ signal }) => api.get<PainEvent[]>('/api/events?limit=1', signal),
    enabled: emptyAll,
    staleTime: 5000,
  })

  let body: React.ReactNode
  if (pages.isLoading) body = <SkeletonRows n={10} />
  else if (err) body = <ErrorState error={err} onRetry={() => pages.refetch()} />
  else if (emptyAll) {
    if (anyEvents.data && anyEvents.data.length === 0) body = <Welcome />
    else
      body = (
        <div className="state" data-testid="no-match">
          <div className="icon"><Icon name="filter" size={20} /></div>
          <h2>No events match this view</h2>
          <p>
            {activeFilterCount(filters) > 0
              ? 'Try removing a filter or widening the time range.'
              : 'Nothing happened in this time range. Try a wider one.'}
          </p>
          <div className="actions">
            {filters.since !== '30d' && !filters.start && (
              <button className="btn" onClick={() => patch({ since: '30d' })}>Last 30 days</button>
            )}
            <button className="btn" onClick={() => patch({ since: 'all', start: undefined, end: undefined })}>All time</button>
            {active && (
              <button className="btn primary" onClick={() => setFilters(clearFilters(filters))}>Clear all filters</button>
            )}
          </div>
        </div>
      )
  } else {
    body = (
      <div
        className="list"
        ref={listRef}
        onScroll={onScroll}
        tabIndex={0}
        role="listbox"
        aria-label="Events, newest first. j/k to move, Enter to open, Esc to close"
        aria-activedescendant={focusedId ? `ev-${focusedId}` : undefined}
        data-testid="event-list"
      >
        <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
          {vItems.map((vi) => {
            const it = items[vi.index]
            if (it.type === 'group') {
              return (
                <button
                  key={vi.key}
                  type="button"
                  className="group-head"
                  style={{ transform: `translateY(${vi.start}px)`, height: vi.size }}
                  aria-expanded={!it.collapsed}
                  data-testid="group-head"
                  onClick={() =>
                    setCollapsed((s) => {
                      const n = new Set(s)
                      if (n.has(it.key)) n.delete(it.key)
                      else n.add(it.key)
                      return n
                    })
                  }
                >
                  <span className="caret"><Icon name="caret" size={12} /></span>
                  {filters.group === 'connector' ? (
                    <>
                      <i className="dot" style={{ background: connector(it.key).color }} />
                      {connector(it.key).name}
                    </>
                  ) : (
                    it.key
                  )}
                  <span className="n">
                    {it.total != null && it.total > it.count ? `${it.count} of ${it.total}` : it.count}
                  </span>
                </button>
              )
            }
            if (it.type === 'foot') {
              return (
                <div key={vi.key} className="list-foot" style={{ transform: `translateY(${vi.start}px)` }}>
                  {pages.isFetchingNextPage
                    ? 'Loading more…'
                    : pages.hasNextPage
                      ? <button className="btn sm" onClick={() => pages.fetchNextPage()}>Load more</button>
                      : `End of results · ${events.length} event${events.length === 1 ? '' : 's'}`}
                </div>
              )
            }
            return (
              <EventRow
                key={vi.key}
                ev={it.ev}
                top={vi.start}
                height={vi.size}
                index={vi.index}
                selected={it.ev.id === selected}
                focused={vi.index === focusIdx}
                fields={vis[visibilityKey(it.ev.connector, it.ev.kind)] ?? vis[visibilityKey(it.ev.connector, null)] ?? NO_FIELDS}
                onOpen={onOpen}
              />
            )
          })}
        </div>
      </div>
    )
  }

  const buckets = summary.data?.buckets ?? []
  const legendKeys = useMemo(() => {
    const m = new Map<string, number>()
    for (const b of buckets) for (const [k, n] of Object.entries(b.counts ?? {})) m.set(k, (m.get(k) ?? 0) + n)
    return [...m.entries()].sort((a, b) => b[1] - a[1])
  }, [buckets])

  return (
    <div className="timeline">
      <div className="toolbar" role="search">
        <div className="search">
          <Icon name="search" />
          <input
            ref={searchRef}
            className="input"
            type="search"
            placeholder="Search titles and data…"
            aria-label="Search events"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') patch({ q }, true)
            }}
          />
          {!q && <span className="kbd" aria-hidden="true">/</span>}
        </div>
        <TimeRange filters={filters} onChange={(p) => patch(p)} />
        {(filters.start || filters.end) && (
          <button className="btn" onClick={() => patch({ start: undefined, end: undefined })} aria-label="Zoom out to the relative range" title="Back to a relative range">
            <Icon name="zoomout" /> Reset zoom
          </button>
        )}
        <label className="toggle" title="Only failed, errored or timed-out events">
          <input
            type="checkbox"
            checked={filters.failures}
            onChange={(e) => patch({ failures: e.target.checked })}
            aria-label="Failures only"
            data-testid="failures-only"
          />
          Failures only
        </label>
        <span style={{ flex: 1 }} />
        <div className="seg" role="group" aria-label="Group events by">
          {(['none', 'project', 'connector'] as GroupBy[]).map((g) => (
            <button key={g} type="button" aria-pressed={filters.group === g} onClick={() => patch({ group: g })}>
              {g === 'none' ? 'No grouping' : `By ${g}`}
            </button>
          ))}
        </div>
        <div className="seg" role="group" aria-label="Time zone">
          <button type="button" aria-pressed={!utc} onClick={() => setUtc(false)} title={localZoneName()}>Local</button>
          <button type="button" aria-pressed={utc} onClick={() => setUtc(true)}>UTC</button>
        </div>
      </div>
      <div className="filter-row" aria-label="Filters">
        <FilterMenu label="Connector" testId="filter-connector" values={filters.connector} options={opts.connector} onChange={set('connector')} />
        <FilterMenu label="Project" testId="filter-project" values={filters.project} options={opts.project} onChange={set('project')} />
        <FilterMenu label="Team" testId="filter-team" values={filters.team} options={opts.team} onChange={set('team')} allowCustom={false} placeholder="Search teams…" />
        <FilterMenu label="Tag" testId="filter-tag" values={filters.tag} options={opts.tag} onChange={set('tag')} />
        <FilterMenu label="Kind" testId="filter-kind" values={filters.kind} options={opts.kind} onChange={set('kind')} />
        <FilterMenu label="Environment" testId="filter-environment" values={filters.environment} options={opts.environment} onChange={set('environment')} />
        {filters.status.length > 0 && (
          <FilterMenu label="Status" testId="filter-status" values={filters.status} options={[]} onChange={set('status')} />
        )}
        {filters.ref.map((r) => (
          <span key={r} className="chip ref" data-testid="active-ref">
            <b>ref</b> {r}
            <button className="x" aria-label={`Remove ref filter ${r}`} onClick={() => set('ref')(filters.ref.filter((x) => x !== r))}>×</button>
          </span>
        ))}
        {active && (
          <button className="btn ghost sm" onClick={() => setFilters(clearFilters(filters))} data-testid="clear-all">
            <Icon name="x" size={12} /> Clear all
          </button>
        )}
      </div>
      <div className="histo-wrap" hidden={emptyAll && anyEvents.data?.length === 0}>
        <div className="histo-head">
          <span className="total" data-testid="total">
            {total != null ? `${total.toLocaleString()} event${total === 1 ? '' : 's'}` : summary.isLoading ? '…' : ''}
          </span>
          <div className="legend">
            {legendKeys.slice(0, 8).map(([k, n]) => (
              <span key={k}>
                <i className="dot" style={{ background: connector(k).color }} />
                {connector(k).name} <span className="faint">{n}</span>
              </span>
            ))}
          </div>
          <span style={{ flex: 1 }} />
          <span className="faint small">Drag on the chart to zoom</span>
        </div>
        {summary.isError && !summary.data ? (
          <div className="histo-empty">Histogram unavailable: {errorMessage(summary.error)}</div>
        ) : summary.isLoading && !summary.data ? (
          <div className="histo-empty"><div className="skel" style={{ width: '100%', height: 90 }} /></div>
        ) : (
          <Histogram
            buckets={buckets}
            interval={summary.data?.interval ?? 3600}
            from={win.from}
            to={win.to}
            onZoom={onZoom}
          />
        )}
      </div>
      <div className="body">
        <div className="list-wrap">
          <div className="list-status" aria-live="polite">
            <span>
              <span className={`live-dot${streamState === 'open' ? ' on' : streamState === 'error' ? ' err' : ''}`} />
              {!liveView ? 'Paused (range ends in the past)' : streamState === 'open' ? 'Live' : streamState === 'error' ? 'Reconnecting…' : 'Connecting…'}
            </span>
            {events.length > 0 && (
              <span>
                Showing {events.length.toLocaleString()}
                {total != null && total > events.length ? ` of ${total.toLocaleString()}` : ''}
              </span>
            )}
            <span style={{ flex: 1 }} />
            <span className="faint small">
              <span className="kbd">j</span> <span className="kbd">k</span> move · <span className="kbd">Enter</span> open · <span className="kbd">Esc</span> close
            </span>
          </div>
          {pending.length > 0 && (
            <button className="pill" onClick={showPending} data-testid="new-events-pill">
              ↑ {pending.length} new event{pending.length === 1 ? '' : 's'}
            </button>
          )}
          {body}
        </div>
        {selected && (
          <DetailPanel
            key={selected}
            id={selected}
            initial={selectedEvent}
            onClose={() => {
              setSelected(null)
              listRef.current?.focus()
            }}
            onRef={(r) => setFilters((f) => ({ ...f, ref: f.ref.includes(r) ? f.ref : [...f.ref, r] }))}
            onFilter={(k, v) => setFilters((f) => ({ ...f, [k]: f[k].includes(v) ? f[k] : [...f[k], v] }))}
          />
        )}
      </div>
    </div>
  )
}

function ErrorState({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  if (error.status === 401 || error.status === 403) {
    return (
      <div className="state error" data-testid="auth-error">
        <div className="icon"><Icon name="alert" size={20} /></div>
        <h2>{error.status === 401 ? 'This server needs an API token' : 'Your token cannot read events'}</h2>
        <p>{error.message}</p>
        {error.status === 401 && (
          <>
            <p className="small muted">Make one on the server’s machine, then paste it in Settings › Access:</p>
            <pre className="code">painchain token create --local --name browser --scope admin</pre>
          </>
        )}
        <div className="actions">
          <Link className="btn primary" to="/settings/access">Enter an API token</Link>
        </div>
      </div>
    )
  }
  const down = error.network || error.status >= 500
  return (
    <div className="state error" data-testid="api-error">
      <div className="icon"><Icon name="alert" size={20} /></div>
      <h2>{down ? 'The PainChain API is not responding' : 'Could not load events'}</h2>
      <p>{down ? 'Check that `painchain serve` is running and reachable, then retry.' : error.message}</p>
      {!down && error.field && <p className="faint">Field: {error.field}</p>}
      <div className="actions">
        <button className="btn primary" onClick={onRetry}><Icon name="refresh" /> Retry</button>
      </div>
    </div>
  )
}

function Welcome() {
  const curl = `curl -X POST localhost:8000/api/integrations -H 'content-type: application/json' \\
  -d '{"type":"git","name":"this repo","config":{"name":"this repo","tags":[],"path":"."}}'`
  return (
    <div className="state" data-testid="welcome">
      <div className="icon"><Icon name="plug" size={20} /></div>
      <h2>No events yet</h2>
      <p>
        PainChain shows every change — merged PRs, pushes, CI runs, deploys — on one timeline. Start with the
        repository you are in: it needs no token.
      </p>
      <pre className="code">{`painchain serve\n${curl}`}</pre>
      <p className="small muted">
        Or add an integration of type <code>git</code> with config{' '}
        <code>{'{"name": "this repo", "tags": [], "path": "."}'}</code> in Settings. With authentication on, add{' '}
        <code>-H 'authorization: Bearer pc_…'</code> (an admin token) to the curl command.
      </p>
      <div className="actions">
        <Link className="btn primary" to="/settings/integrations?new=git">Add an integration</Link>
        <Link className="btn" to="/settings/connectors">Connector types</Link>
      </div>
    </div>
  )
}
