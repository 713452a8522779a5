import { describe, expect, it } from 'vitest'
import {
  apiParams,
  clearFilters,
  DEFAULT_SINCE,
  emptyFilters,
  FAILURE_STATUSES,
  hasActiveFilters,
  isLive,
  parseFilters,
  serializeFilters,
  timeWindow,
  type Filters,
} from './filters'

const full: Filters = {
  since: '6h',
  start: undefined,
  end: undefined,
  connector: ['github', 'kubernetes'],
  project: ['acme/api'],
  team: ['payments'],
  tag: ['critical', 'backend'],
  kind: ['change.merged'],
  status: [],
  environment: ['production'],
  ref: ['commit:0123456789abcdef0123456789abcdef01234567', 'pr:acme/api#42'],
  failures: true,
  q: 'rollback api',
  group: 'project',
}

describe('filters <-> URL', () => {
  it('round-trips every filter through the query string', () => {
    const qs = serializeFilters(full).toString()
    expect(parseFilters(new URLSearchParams(qs))).toEqual(full)
  })

  it('round-trips an absolute range (and drops since)', () => {
    const f = { ...emptyFilters(), start: '2025-01-01T10:00:00.000Z', end: '2025-01-01T12:30:00.000Z' }
    const p = serializeFilters(f)
    expect(p.get('startDate')).toBe('2025-01-01T10:00:00.000Z')
    expect(p.get('endDate')).toBe('2025-01-01T12:30:00.000Z')
    expect(p.has('since')).toBe(false)
    expect(parseFilters(p)).toEqual(f)
  })

  it('keeps default-only views short', () => {
    expect(serializeFilters(emptyFilters()).toString()).toBe('')
    expect(parseFilters(new URLSearchParams(''))).toEqual(emptyFilters())
    expect(parseFilters(new URLSearchParams('')).since).toBe(DEFAULT_SINCE)
  })

  it('accepts comma-separated lists and repeated params, deduplicated', () => {
    const f = parseFilters(new URLSearchParams('connector=github,gitlab&connector=github&tag=a'))
    expect(f.connector).toEqual(['github', 'gitlab'])
    expect(f.tag).toEqual(['a'])
  })

  it('does not split refs on commas (values may contain them)', () => {
    const f = parseFilters(new URLSearchParams('ref=image:repo/app:1,2'))
    expect(f.ref).toEqual(['image:repo/app:1,2'])
  })

  it('ignores invalid values', () => {
    const f = parseFilters(new URLSearchParams('since=yesterday&startDate=not-a-date&group=weird'))
    expect(f.since).toBe(DEFAULT_SINCE)
    expect(f.start).toBeUndefined()
    expect(f.group).toBe('none')
  })

  it('escapes special characters', () => {
    const f = { ...emptyFilters(), q: 'a&b=c #1', project: ['org/repo with space'] }
    expect(parseFilters(new URLSearchParams(serializeFilters(f).toString()))).toEqual(f)
  })

  it('clear-all keeps the grouping only', () => {
    const c = clearFilters(full)
    expect(c).toEqual({ ...emptyFilters(), group: 'project' })
    expect(hasActiveFilters(c)).toBe(false)
    expect(hasActiveFilters(full)).toBe(true)
  })
})

describe('filters -> API parameters', () => {
  it('maps to the server filter names', () => {
    const p = apiParams(full)
    expect(p.getAll('connector')).toEqual(['github', 'kubernetes'])
    expect(p.get('since')).toBe('6h')
    expect(p.getAll('team')).toEqual(['payments'])
    expect(p.getAll('ref')).toHaveLength(2)
    expect(p.get('q')).toBe('rollback api')
    expect(p.has('group')).toBe(false)
    expect(p.has('failures')).toBe(false)
  })

  it('"failures only" expands to failure statuses', () => {
    const p = apiParams({ ...emptyFilters(), failures: true })
    expect(p.getAll('status')).toEqual([...FAILURE_STATUSES])
  })

  it('since=all sends no time bound; absolute ranges send RFC 3339', () => {
    expect(apiParams({ ...emptyFilters(), since: 'all' }).has('since')).toBe(false)
    const p = apiParams({ ...emptyFilters(), start: '2025-01-01T10:00:00Z' })
    expect(p.get('startDate')).toBe('2025-01-01T10:00:00.000Z')
    expect(p.has('since')).toBe(false)
  })

  it('the stream omits the time window', () => {
    expect(apiParams(full, { withTime: false }).has('since')).toBe(false)
  })
})

describe('time window', () => {
  it('relative and absolute windows', () => {
    const now = Date.parse('2025-01-02T00:00:00Z')
    expect(timeWindow({ ...emptyFilters(), since: '1h' }, now)).toEqual({ from: now - 3600e3, to: now })
    expect(timeWindow({ ...emptyFilters(), since: 'all' }, now).from).toBeNull()
    expect(isLive({ ...emptyFilters(), end: '2020-01-01T00:00:00Z' }, now)).toBe(false)
    expect(isLive(emptyFilters(), now)).toBe(true)
  })
})

import { changesBefore } from './filters'
describe('changes before an event', () => {
  it('the 2 h before it (inclusive), same environment, other filters dropped, grouping kept', () => {
    const f = { ...emptyFilters(), group: 'change' as const, connector: ['github'], q: 'x' }
    const out = changesBefore(f, { timestamp: '2026-01-15T10:00:00Z', environment: 'production' })
    expect(out.start).toBe('2026-01-15T08:00:00.000Z')
    expect(out.end).toBe('2026-01-15T10:00:01.000Z')
    expect(out.environment).toEqual(['production'])
    expect(out.connector).toEqual([])
    expect(out.q).toBe('')
    expect(out.group).toBe('change')
    expect(serializeFilters(out).toString()).toBe('startDate=2026-01-15T08%3A00%3A00.000Z&endDate=2026-01-15T10%3A00%3A01.000Z&environment=production&group=change')
    expect(changesBefore(f, { timestamp: '2026-01-15T10:00:00Z' }).environment).toEqual([])
  })
  it('never sends since=all or a malformed since to the API', () => {
    expect(apiParams({ ...emptyFilters(), since: 'all' }).toString()).toBe('')
    expect(apiParams({ ...emptyFilters(), since: 'bogus' }).has('since')).toBe(false)
  })
})
