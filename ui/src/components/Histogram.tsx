// Event counts over time, stacked by connector (uPlot). Drag across the chart
// to zoom the timeline to that range.

import { memo, useEffect, useMemo, useRef, useState } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { Bucket } from '../api/types'
import { useConnector } from './connectors'
import { shortTime, absoluteTime, useUtc } from '../lib/time'

export interface HistogramProps {
  buckets: Bucket[]
  interval: number
  /** The visible window (ms); buckets outside still extend it. */
  from: number | null
  to: number
  onZoom: (fromMs: number, toMs: number) => void
  /** Incident / failure anchors drawn as vertical markers across the chart. */
  markers?: Marker[]
  onMarker?: (id: string) => void
}

export interface Marker {
  id: string
  /** ms since epoch */
  t: number
  title: string
  incident: boolean
}

const NO_MARKERS: Marker[] = []

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim()
  return v || fallback
}

function useDark(): boolean {
  const [dark, setDark] = useState(() => typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches)
  useEffect(() => {
    if (typeof matchMedia === 'undefined') return
    const m = matchMedia('(prefers-color-scheme: dark)')
    const on = () => setDark(m.matches)
    m.addEventListener('change', on)
    return () => m.removeEventListener('change', on)
  }, [])
  return dark
}

export const Histogram = memo(function Histogram({ buckets, interval, from, to, onZoom, markers = NO_MARKERS, onMarker }: HistogramProps) {
  const el = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const connector = useConnector()
  const utc = useUtc()
  const dark = useDark()
  const [tip, setTip] = useState<{ left: number; idx: number } | null>(null)
  const zoomRef = useRef(onZoom)
  zoomRef.current = onZoom
  const markersRef = useRef(markers)
  markersRef.current = markers
  const [pos, setPos] = useState<{ top: number; height: number; xs: (number | null)[] } | null>(null)

  // Series order: biggest connectors at the bottom of the stack.
  const keys = useMemo(() => {
    const totals = new Map<string, number>()
    for (const b of buckets) for (const [k, n] of Object.entries(b.counts ?? {})) totals.set(k, (totals.get(k) ?? 0) + n)
    return [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k)
  }, [buckets])

  const data = useMemo(() => {
    const half = (interval || 60) / 2
    const xs = buckets.map((b) => Date.parse(b.start) / 1000 + half)
    // cumulative stacks: stack[i] = sum of keys[0..i]
    const stacks: number[][] = keys.map(() => new Array(buckets.length).fill(0))
    buckets.forEach((b, j) => {
      let acc = 0
      keys.forEach((k, i) => {
        acc += b.counts?.[k] ?? 0
        stacks[i][j] = acc
      })
    })
    // Draw the tallest stack first so the lower ones paint over it.
    return [xs, ...stacks.slice().reverse()] as uPlot.AlignedData
  }, [buckets, keys, interval])

  useEffect(() => {
    const node = el.current
    if (!node) return
    const text3 = cssVar('--text-3', '#8b949e')
    const border = cssVar('--border', '#e1e4e8')
    const reversed = keys.slice().reverse()
    const bars = uPlot.paths.bars!({ size: [0.86, 60, 1], align: 0 })
    const xMin = Math.min(from ?? Infinity, buckets.length ? Date.parse(buckets[0].start) : Infinity) / 1000
    const xMax = Math.max(to, buckets.length ? Date.parse(buckets[buckets.length - 1].start) + interval * 1000 : 0) / 1000
    const opts: uPlot.Options = {
      width: node.clientWidth || 800,
      height: 112,
      padding: [6, 18, 0, 0],
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
        y: false,
      },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: true, range: () => [Number.isFinite(xMin) ? xMin : xMax - 86400, xMax] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.08)] },
      },
      axes: [
        {
          stroke: text3,
          grid: { show: false },
          ticks: { stroke: border, width: 1, size: 4 },
          font: '11px system-ui, sans-serif',
          size: 24,
          space: 70,
          values: (_u, splits, _ax, _space, incr) => splits.map((s) => axisLabel(s * 1000, incr, utc)),
        },
        {
          stroke: text3,
          grid: { stroke: border, width: 1, dash: [3, 3] },
          ticks: { show: false },
          font: '11px system-ui, sans-serif',
          size: 36,
          splits: (_u, _i, _min, max) => {
            const m = Math.max(1, max)
            const step = niceStep(m / 3)
            const out: number[] = []
            for (let v = 0; v <= m; v += step) out.push(v)
            return out
          },
          values: (_u, splits) => splits.map((v) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)}k` : String(v))),
        },
      ],
      series: [
        {},
        ...reversed.map((k) => {
          const c = connector(k).color
          return { label: k, stroke: c, fill: c, width: 0, paths: bars, points: { show: false } } as uPlot.Series
        }),
      ],
      hooks: {
        // Marker positions follow the x scale (zoom, resize): recomputed on each draw.
        draw: [
          (u) => {
            const left = u.over.offsetLeft
            const w = u.over.clientWidth
            const xs = markersRef.current.map((m) => {
              const x = u.valToPos(m.t / 1000, 'x')
              return Number.isFinite(x) && x >= 0 && x <= w ? left + x : null
            })
            setPos((p) =>
              p && p.top === u.over.offsetTop && p.height === u.over.clientHeight && p.xs.join() === xs.join()
                ? p
                : { top: u.over.offsetTop, height: u.over.clientHeight, xs },
            )
          },
        ],
        setSelect: [
          (u) => {
            const { left, width } = u.select
            if (width > 4) {
              const a = u.posToVal(left, 'x') * 1000
              const b = u.posToVal(left + width, 'x') * 1000
              zoomRef.current(Math.round(a), Math.round(b))
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
          },
        ],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx
            const left = u.cursor.left ?? -1
            if (idx == null || left < 0) setTip(null)
            else setTip({ idx, left })
          },
        ],
      },
    }
    plot.current?.destroy()
    const u = new uPlot(opts, data, node)
    plot.current = u
    const ro = new ResizeObserver(() => {
      if (node.clientWidth > 0) u.setSize({ width: node.clientWidth, height: 112 })
    })
    ro.observe(node)
    return () => {
      ro.disconnect()
      u.destroy()
      if (plot.current === u) plot.current = null
    }
  }, [data, keys, connector, from, to, interval, buckets, utc, dark, markers])

  const tipBucket = tip ? buckets[tip.idx] : null
  return (
    <div className="histo" ref={el} role="group" aria-label="Event count histogram, drag to zoom" data-testid="histogram">
      {pos &&
        markers.map((m, i) =>
          pos.xs[i] == null ? null : (
            <button
              key={m.id}
              type="button"
              className={`histo-marker${m.incident ? ' incident' : ''}`}
              style={{ left: pos.xs[i]! - 5, top: pos.top, height: pos.height }}
              title={`${m.incident ? 'Incident' : 'Failure'}: ${m.title} — ${absoluteTime(m.t, utc)}`}
              aria-label={`${m.incident ? 'Incident' : 'Failure'}: ${m.title}`}
              data-testid="incident-marker"
              onClick={() => onMarker?.(m.id)}
            />
          ),
        )}
      {tipBucket && tip && (
        <div
          className="histo-tip"
          style={{ left: Math.min(tip.left + 42, (el.current?.clientWidth ?? 600) - 180), top: 4 }}
        >
          <div className="faint" style={{ marginBottom: 3 }}>{absoluteTime(tipBucket.start, utc)}</div>
          {keys
            .filter((k) => (tipBucket.counts?.[k] ?? 0) > 0)
            .map((k) => (
              <div className="row" key={k}>
                <span>
                  <i className="dot" style={{ background: connector(k).color }} />
                  {connector(k).name}
                </span>
                <b>{tipBucket.counts[k]}</b>
              </div>
            ))}
          <div className="row" style={{ borderTop: '1px solid var(--border)', marginTop: 3, paddingTop: 3 }}>
            <span>Total</span>
            <b>{tipBucket.total}</b>
          </div>
        </div>
      )}
    </div>
  )
})

function axisLabel(ms: number, incr: number, utc: boolean): string {
  const d = new Date(ms)
  const midnight = utc ? d.getUTCHours() === 0 && d.getUTCMinutes() === 0 : d.getHours() === 0 && d.getMinutes() === 0
  if (incr >= 86400 || midnight) {
    return new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: utc ? 'UTC' : undefined }).format(d)
  }
  return shortTime(ms, utc, false)
}

function niceStep(raw: number): number {
  if (raw <= 1) return 1
  const p = Math.pow(10, Math.floor(Math.log10(raw)))
  const n = raw / p
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p
}
