// Search, time range, failures toggle, grouping and zone; on phones the
// filters fold into one "Filters" button so the first event stays in view.
import { useEffect, useState, type RefObject } from 'react'
import { activeFilterCount, clearFilters, hasActiveFilters, type Filters, type GroupBy, type ListKey } from '../lib/filters'
import { localZoneName, setUtc, useUtc } from '../lib/time'
import { FilterMenu } from '../components/FilterMenu'
import { TimeRange } from '../components/TimeRange'
import { Icon } from '../components/ui'
import type { PainEvent, Bucket } from '../api/types'
import { useFilterOptions } from './useFilterOptions'

const GROUPS: [GroupBy, string][] = [
  ['none', 'No grouping'],
  ['project', 'By project'],
  ['connector', 'By connector'],
  ['change', 'By change'],
]

export function Toolbar({
  filters,
  setFilters,
  patch,
  searchRef,
  events,
  buckets,
}: {
  filters: Filters
  setFilters: (f: Filters | ((f: Filters) => Filters)) => void
  patch: (p: Partial<Filters>, replace?: boolean) => void
  searchRef: RefObject<HTMLInputElement | null>
  events: PainEvent[]
  buckets?: Bucket[]
}) {
  const utc = useUtc()
  const [open, setOpen] = useState(false)
  const opts = useFilterOptions(events, buckets)
  const active = hasActiveFilters(filters)
  const n = activeFilterCount(filters)
  const set = (k: ListKey) => (values: string[]) => setFilters((f) => ({ ...f, [k]: values }))

  // ---- search (debounced into the URL) ----
  const [q, setQ] = useState(filters.q)
  useEffect(() => setQ(filters.q), [filters.q])
  useEffect(() => {
    if (q === filters.q) return
    const t = setTimeout(() => patch({ q }, true), 300)
    return () => clearTimeout(t)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q])

  return (
    <>
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
            <Icon name="zoomout" /> <span className="wide-only">Reset zoom</span>
          </button>
        )}
        <button
          type="button"
          className={`btn filters-toggle${n ? ' active' : ''}`}
          aria-expanded={open}
          aria-controls="timeline-filters"
          data-testid="filters-toggle"
          onClick={() => setOpen(!open)}
        >
          <Icon name="filter" /> Filters{n ? ` (${n})` : ''}
        </button>
        <div className={`toolbar-more${open ? ' open' : ''}`}>
          <label className="toggle" title="Only failed, errored or timed-out events">
            <input type="checkbox" checked={filters.failures} onChange={(e) => patch({ failures: e.target.checked })} aria-label="Failures only" data-testid="failures-only" />
            Failures only
          </label>
          <span className="spacer" />
          <div className="seg" role="group" aria-label="Group events by">
            {GROUPS.map(([g, label]) => (
              <button key={g} type="button" aria-pressed={filters.group === g} onClick={() => patch({ group: g })} data-testid={`group-${g}`}>
                {label}
              </button>
            ))}
          </div>
          <div className="seg" role="group" aria-label="Time zone">
            <button type="button" aria-pressed={!utc} onClick={() => setUtc(false)} title={localZoneName()}>Local</button>
            <button type="button" aria-pressed={utc} onClick={() => setUtc(true)}>UTC</button>
          </div>
        </div>
      </div>
      <div className={`filter-row${open ? ' open' : ''}`} id="timeline-filters" aria-label="Filters">
        <FilterMenu label="Connector" testId="filter-connector" values={filters.connector} options={opts.connector} onChange={set('connector')} />
        <FilterMenu label="Project" testId="filter-project" values={filters.project} options={opts.project} onChange={set('project')} />
        <FilterMenu label="Team" testId="filter-team" values={filters.team} options={opts.team} onChange={set('team')} allowCustom={false} placeholder="Search teams…" />
        <FilterMenu label="Tag" testId="filter-tag" values={filters.tag} options={opts.tag} onChange={set('tag')} />
        <FilterMenu label="Kind" testId="filter-kind" values={filters.kind} options={opts.kind} onChange={set('kind')} />
        <FilterMenu label="Environment" testId="filter-environment" values={filters.environment} options={opts.environment} onChange={set('environment')} />
        {filters.status.length > 0 && <FilterMenu label="Status" testId="filter-status" values={filters.status} options={[]} onChange={set('status')} />}
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
    </>
  )
}
