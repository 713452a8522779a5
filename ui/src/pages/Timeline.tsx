// The timeline page: wires the URL filters to the data hooks and lays out the
// toolbar, histogram, list and detail panel (each in src/timeline/).
import { useCallback, useEffect, useMemo, useRef } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useEventPages, useTimelineSummary } from '../api/hooks'
import { api, type ApiError } from '../api/client'
import type { PainEvent } from '../api/types'
import { activeFilterCount, apiParams, changesBefore, clearFilters, DEFAULT_SINCE, hasActiveFilters, isLive, timeWindow, type Filters } from '../lib/filters'
import { mergeLive } from '../lib/liveList'
import { useFilters } from '../lib/useFilters'
import { SkeletonRows } from '../components/EventRow'
import { DetailPanel } from '../components/DetailPanel'
import { useLiveEvents } from '../timeline/useLiveEvents'
import { useListItems } from '../timeline/useListItems'
import { EventList } from '../timeline/EventList'
import { Toolbar } from '../timeline/Toolbar'
import { HistogramPanel } from '../timeline/HistogramPanel'
import { ErrorState, NoMatch, sinceCovering, Welcome } from '../timeline/States'
import { ListStatus } from '../timeline/ListStatus'

export function TimelinePage() {
  const { filters, setFilters, selected, setSelected } = useFilters()
  const groupBy: 'project' | 'connector' = filters.group === 'connector' ? 'connector' : 'project'
  const pages = useEventPages(filters)
  const summary = useTimelineSummary(filters, groupBy)
  const listRef = useRef<HTMLDivElement>(null)
  const searchRef = useRef<HTMLInputElement>(null)
  const streamKey = apiParams(filters, { withTime: false }).toString()
  const liveView = isLive(filters)
  const { live, pending, streamState, setAway } = useLiveEvents(
    streamKey,
    liveView,
    filters.start,
    `${streamKey}|${filters.since}|${filters.start}|${filters.end}`,
  )

  const loaded = useMemo(() => pages.data?.pages.flatMap((p) => p.events) ?? [], [pages.data])
  const events = useMemo(() => mergeLive(loaded, live), [loaded, live])

  const groupTotals = useMemo(() => {
    const m = new Map<string, number>()
    if (summary.data?.groupBy === groupBy) for (const g of summary.data.groups ?? []) m.set(g.key, g.count)
    return m
  }, [summary.data, groupBy])
  const { items, toggle } = useListItems(events, filters.group, groupTotals)

  const patch = useCallback((p: Partial<Filters>, replace = false) => setFilters((f) => ({ ...f, ...p }), { replace }), [setFilters])
  // Recomputed when the view or its data changes, not on every render (a new
  // `to` would redraw the chart on each scroll frame).
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const win = useMemo(() => timeWindow(filters), [filters, summary.dataUpdatedAt])
  const onZoom = useCallback(
    (a: number, b: number) => setFilters((f) => ({ ...f, start: new Date(a).toISOString(), end: new Date(b).toISOString() })),
    [setFilters],
  )
  const selectedEvent = selected ? events.find((e) => e.id === selected) : undefined

  // ---- empty views: is there anything at all, and what is the newest match? ----
  const err = pages.error as ApiError | null
  const emptyAll = !pages.isLoading && !pages.isError && events.length === 0
  const anyEvents = useQuery({
    queryKey: ['any-events'],
    queryFn: ({ signal }) => api.get<PainEvent[]>('/api/events?limit=1', signal),
    enabled: emptyAll,
    staleTime: 5000,
  })
  const newestQs = `${streamKey}${streamKey ? '&' : ''}limit=1`
  const newest = useQuery({
    queryKey: ['newest-event', newestQs],
    queryFn: ({ signal }) => api.get<PainEvent[]>(`/api/events?${newestQs}`, signal),
    enabled: emptyAll,
    staleTime: 5000,
  })
  const newestEv = newest.data?.[0] ?? null
  const showNewest = useCallback(
    (ev: PainEvent, replace = false) => patch({ since: sinceCovering(Date.now() - Date.parse(ev.timestamp)), start: undefined, end: undefined }, replace),
    [patch],
  )
  // First open on the default range with nothing in it: widen to the newest
  // events at once (the first screen is never empty when events exist).
  const pristine = !hasActiveFilters(filters) && filters.since === DEFAULT_SINCE && !filters.start && !filters.end
  const widened = useRef(false)
  useEffect(() => {
    if (emptyAll && pristine && newestEv && !widened.current) {
      widened.current = true
      showNewest(newestEv, true)
    }
  }, [emptyAll, pristine, newestEv, showNewest])

  let body: React.ReactNode
  if (pages.isLoading) body = <SkeletonRows n={10} />
  else if (err) body = <ErrorState error={err} onRetry={() => pages.refetch()} />
  else if (emptyAll) {
    if (anyEvents.data && anyEvents.data.length === 0) body = <Welcome />
    else
      body = (
        <NoMatch
          filtered={activeFilterCount(filters) > 0}
          newest={newestEv}
          onShowNewest={(ev) => showNewest(ev)}
          onWiden={filters.since !== '30d' && !filters.start ? () => patch({ since: '30d' }) : undefined}
          onAllTime={() => patch({ since: 'all', start: undefined, end: undefined })}
          onClear={hasActiveFilters(filters) ? () => setFilters(clearFilters(filters)) : undefined}
        />
      )
  } else {
    body = (
      <EventList
        items={items}
        events={events}
        group={filters.group}
        toggle={toggle}
        selected={selected}
        setSelected={setSelected}
        pages={pages}
        listRef={listRef}
        searchRef={searchRef}
        onAway={setAway}
      />
    )
  }

  return (
    <div className={`timeline${selected ? ' has-detail' : ''}`}>
      <Toolbar filters={filters} setFilters={setFilters} patch={patch} searchRef={searchRef} events={events} buckets={summary.data?.buckets} />
      <HistogramPanel
        filters={filters}
        summary={summary}
        loaded={loaded}
        win={win}
        onZoom={onZoom}
        onMarker={setSelected}
        hidden={emptyAll && anyEvents.data?.length === 0}
      />
      <div className="body">
        <div className="list-wrap">
          <ListStatus
            liveView={liveView}
            streamState={streamState}
            shown={events.length}
            total={summary.data?.total}
            widenedFrom={widened.current && filters.since !== DEFAULT_SINCE ? DEFAULT_SINCE : null}
          />
          {pending.length > 0 && (
            <button
              className="pill"
              onClick={() => {
                setAway(false)
                listRef.current?.scrollTo({ top: 0 })
              }}
              data-testid="new-events-pill"
            >
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
            onChangesBefore={(ev) => setFilters((f) => changesBefore(f, ev))}
          />
        )}
      </div>
    </div>
  )
}
