// The histogram with its total, legend and incident/failure markers.
import { useMemo } from 'react'
import { useQuery } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import type { PainEvent, TimelineResponse } from '../api/types'
import { apiParams, type Filters } from '../lib/filters'
import { collectAnchors, INCIDENT_KINDS } from '../lib/anchors'
import { Histogram, type Marker } from '../components/Histogram'
import { useConnector } from '../components/connectors'

/** Incidents and failures in the view's window and filters (kind/status replaced). */
function useAnchors(filters: Filters, loaded: PainEvent[]) {
  const base = apiParams(filters)
  base.delete('kind')
  base.delete('status')
  base.set('limit', '200')
  const inc = new URLSearchParams(base)
  for (const k of INCIDENT_KINDS) inc.append('kind', k)
  const fail = new URLSearchParams(base)
  fail.set('status', 'failure')
  const q1 = useQuery({ queryKey: ['anchors', inc.toString()], queryFn: ({ signal }) => api.get<PainEvent[]>(`/api/events?${inc}`, signal), staleTime: 30_000 })
  const q2 = useQuery({ queryKey: ['anchors', fail.toString()], queryFn: ({ signal }) => api.get<PainEvent[]>(`/api/events?${fail}`, signal), staleTime: 30_000 })
  return useMemo(() => collectAnchors([q1.data, q2.data, loaded]), [q1.data, q2.data, loaded])
}

export function HistogramPanel({
  filters,
  summary,
  loaded,
  win,
  onZoom,
  onMarker,
  hidden,
}: {
  filters: Filters
  summary: { data?: TimelineResponse; isLoading: boolean; isError: boolean; error: unknown }
  loaded: PainEvent[]
  win: { from: number | null; to: number }
  onZoom: (a: number, b: number) => void
  onMarker: (id: string) => void
  hidden: boolean
}) {
  const connector = useConnector()
  const buckets = useMemo(() => summary.data?.buckets ?? [], [summary.data])
  const total = summary.data?.total
  const anchors = useAnchors(filters, loaded)
  const markers: Marker[] = useMemo(
    () => anchors.map((e) => ({ id: e.id, t: Date.parse(e.timestamp), title: e.title, incident: /^incident\./.test(e.kind ?? '') })),
    [anchors],
  )
  const legendKeys = useMemo(() => {
    const m = new Map<string, number>()
    for (const b of buckets) for (const [k, n] of Object.entries(b.counts ?? {})) m.set(k, (m.get(k) ?? 0) + n)
    return [...m.entries()].sort((a, b) => b[1] - a[1])
  }, [buckets])
  return (
    <div className="histo-wrap" hidden={hidden}>
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
          {markers.length > 0 && (
            <span className="legend-marker" title="Incidents and failures, drawn across the chart">
              <i className="mark-line" /> {markers.length} incident{markers.length === 1 ? '' : 's'} / failure{markers.length === 1 ? '' : 's'}
            </span>
          )}
        </div>
        <span style={{ flex: 1 }} />
        <span className="faint small wide-only">Drag on the chart to zoom</span>
      </div>
      {summary.isError && !summary.data ? (
        <div className="histo-empty">Histogram unavailable: {errorMessage(summary.error)}</div>
      ) : summary.isLoading && !summary.data ? (
        <div className="histo-empty"><div className="skel" style={{ width: '100%', height: 90 }} /></div>
      ) : (
        <Histogram buckets={buckets} interval={summary.data?.interval ?? 3600} from={win.from} to={win.to} onZoom={onZoom} markers={markers} onMarker={onMarker} />
      )}
    </div>
  )
}
