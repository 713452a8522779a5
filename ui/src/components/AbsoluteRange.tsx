import { useState } from 'react'
import { DayPicker, type DateRange } from 'react-day-picker'
import 'react-day-picker/style.css'
import type { Filters } from '../lib/filters'
import { useUtc } from '../lib/time'

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

export default function AbsoluteRange({ filters, onApply }: { filters: Filters; onApply: (p: Partial<Filters>) => void }) {
  const utc = useUtc()
  const now = new Date()
  const initFrom = filters.start ? new Date(filters.start) : new Date(now.getTime() - 86400e3)
  const initTo = filters.end ? new Date(filters.end) : now
  const [range, setRange] = useState<DateRange | undefined>({ from: initFrom, to: initTo })
  const [fromTime, setFromTime] = useState(hhmm(initFrom, utc))
  const [toTime, setToTime] = useState(hhmm(initTo, utc))
  return (
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
            onApply({ start: s.toISOString(), end: e.toISOString() })
          }}
        >
          Apply
        </button>
      </div>
    </div>
  )
}
