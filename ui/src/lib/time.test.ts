import { describe, expect, test } from 'vitest'
import { rowTime } from './time'

describe('row times', () => {
  const now = Date.parse('2026-03-10T15:00:00Z')
  test('HH:MM today, date when not today, year when another year (UTC)', () => {
    expect(rowTime('2026-03-10T01:23:45Z', true, now)).toBe('01:23')
    expect(rowTime('2026-03-09T23:59:00Z', true, now)).toBe('9 Mar 23:59')
    expect(rowTime('2025-12-31T08:00:00Z', true, now)).toBe('31 Dec 2025 08:00')
  })
  test('local zone applies (the test runner zone)', () => {
    const iso = '2026-03-10T12:34:00Z'
    const d = new Date(iso)
    const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
    expect(rowTime(iso, false, d.getTime())).toBe(hm)
  })
  test('garbage stays visible', () => {
    expect(rowTime('nope', true, now)).toBe('nope')
  })
})
