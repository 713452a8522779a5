import { lazy, Suspense } from 'react'
import { PRESETS, type Filters } from '../lib/filters'
import { Icon, usePopover } from './ui'
import { shortTime, useUtc } from '../lib/time'

const PRESET_LABEL: Record<string, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  all: 'All time',
}

export function rangeLabel(f: Filters, utc: boolean): string {
  if (f.start || f.end) {
    const a = f.start ? shortTime(f.start, utc, true) : '…'
    const b = f.end ? shortTime(f.end, utc, true) : 'now'
    return `${a} → ${b}${utc ? ' UTC' : ''}`
  }
  const m = /^(\d+)([mhdw])$/.exec(f.since)
  const unit = m && { m: 'minute', h: 'hour', d: 'day', w: 'week' }[m[2]]
  return PRESET_LABEL[f.since] ?? (m && unit ? `Last ${m[1]} ${unit}${m[1] === '1' ? '' : 's'}` : `Last ${f.since}`)
}

// The calendar (react-day-picker + date-fns) loads on first open.
const AbsoluteRange = lazy(() => import('./AbsoluteRange'))

export function TimeRange({ filters, onChange }: { filters: Filters; onChange: (patch: Partial<Filters>) => void }) {
  const utc = useUtc()
  const { open, setOpen, ref } = usePopover()
  const absolute = !!(filters.start || filters.end)
  return (
    <div className="pop-anchor" ref={ref}>
      <button
        type="button"
        className={`btn${absolute ? ' active' : ''}`}
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-label={`Time range: ${rangeLabel(filters, utc)}`}
        data-testid="time-range"
        onClick={() => setOpen(!open)}
      >
        <Icon name="clock" />
        {rangeLabel(filters, utc)}
        <Icon name="caret" size={11} />
      </button>
      {open && (
        <div className="popover range-pop" role="dialog" aria-label="Choose time range">
          <div className="presets">
            {[...PRESETS, 'all'].map((p) => (
              <button
                type="button"
                key={p}
                aria-pressed={!absolute && filters.since === p}
                onClick={() => {
                  onChange({ since: p, start: undefined, end: undefined })
                  setOpen(false)
                }}
              >
                {PRESET_LABEL[p]}
              </button>
            ))}
          </div>
          <Suspense fallback={<div className="abs" style={{ width: 260 }}><div className="skel" style={{ height: 220 }} /></div>}>
            <AbsoluteRange filters={filters} onApply={(p) => { onChange(p); setOpen(false) }} />
          </Suspense>
        </div>
      )}
    </div>
  )
}
