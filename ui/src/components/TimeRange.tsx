import { useState } from 'react'
import { DayPicker, type DateRange } from 'react-day-picker'
import 'react-day-picker/style.css'
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
  return PRESET_LABEL[f.since] ?? `Last ${f.since}`
}

function pad(n: number) {
  return String(n).padStart(2, '0')
}

function hhmm(d: Date, utc: boolean) {
  return utc ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** Combines a calendar day (local midnight from the picker) with an HH:MM in the chosen zone. */
function combine(day: Date, time: string, utc: boolean): Date {
  const [h, m] = time.split(':').map((x) => Number(x) || 0)
  if (utc) return new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate(), h, m))
  return new Date(day.getFullYear(), day.getMonth(), day.getDate(), h, m)
}

export function TimeRange({ filters, onChange }: { filters: Filters; onChange: (patch: Partial<Filters>) => void }) {
  const utc = useUtc()
  const { open, setOpen, ref } = usePopover()
  const now = new Date()
  const initFrom = filters.start ? new Date(filters.start) : new Date(now.getTime() - 86400e3)
  const initTo = filters.end ? new Date(filters.end) : now
  const [range, setRange] = useState<DateRange | undefined>({ from: initFrom, to: initTo })
  const [fromTime, setFromTime] = useState(hhmm(initFrom, utc))
  const [toTime, setToTime] = useState(hhmm(initTo, utc))
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
          <div className="abs">
            <div className="small muted" style={{ fontWeight: 600 }}>Absolute range {utc ? '(UTC)' : '(local time)'}</div>
            <DayPicker
              mode="range"
              selected={range}
              onSelect={setRange}
              numberOfMonths={1}
              defaultMonth={range?.to ?? now}
              disabled={{ after: now }}
            />
            <div className="times">
              <label>
                From
                <input className="input" type="time" aria-label="Start time" value={fromTime} onChange={(e) => setFromTime(e.target.value)} />
              </label>
              <label>
                To
                <input className="input" type="time" aria-label="End time" value={toTime} onChange={(e) => setToTime(e.target.value)} />
              </label>
              <button
                type="button"
                className="btn primary"
                disabled={!range?.from}
                onClick={() => {
                  if (!range?.from) return
                  const a = combine(range.from, fromTime, utc)
                  const b = combine(range.to ?? range.from, toTime, utc)
                  const [s, e] = a <= b ? [a, b] : [b, a]
                  onChange({ start: s.toISOString(), end: e.toISOString() })
                  setOpen(false)
                }}
              >
                Apply
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  )
}
