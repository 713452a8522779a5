// Time display: relative ("5m ago") and absolute, in the user's zone or UTC.

import { useSyncExternalStore } from 'react'

const UTC_KEY = 'painchain.utc'
const listeners = new Set<() => void>()

export function getUtc(): boolean {
  try {
    return localStorage.getItem(UTC_KEY) === '1'
  } catch {
    return false
  }
}

export function setUtc(on: boolean) {
  try {
    localStorage.setItem(UTC_KEY, on ? '1' : '0')
  } catch {
    /* ignore */
  }
  listeners.forEach((l) => l())
}

export function useUtc(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    getUtc,
    () => false,
  )
}

export function relativeTime(iso: string | number | Date, now = Date.now()): string {
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return String(iso)
  const s = Math.round((now - t) / 1000)
  const future = s < 0
  const a = Math.abs(s)
  let out: string
  if (a < 45) out = `${a}s`
  else if (a < 3600) out = `${Math.round(a / 60)}m`
  else if (a < 86400) out = `${Math.round(a / 3600)}h`
  else if (a < 86400 * 45) out = `${Math.round(a / 86400)}d`
  else if (a < 86400 * 365) out = `${Math.round(a / (86400 * 30))}mo`
  else out = `${Math.round(a / (86400 * 365))}y`
  if (a < 5) return 'just now'
  return future ? `in ${out}` : `${out} ago`
}

export function absoluteTime(iso: string | number | Date, utc: boolean): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  const opts: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone: utc ? 'UTC' : undefined,
    timeZoneName: 'short',
  }
  return new Intl.DateTimeFormat(undefined, opts).format(d)
}

export function shortTime(iso: string | number | Date, utc: boolean, withDate: boolean): string {
  const d = new Date(iso)
  const opts: Intl.DateTimeFormatOptions = {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone: utc ? 'UTC' : undefined,
  }
  if (withDate) {
    opts.month = 'short'
    opts.day = 'numeric'
  }
  return new Intl.DateTimeFormat(undefined, opts).format(d)
}

export function localZoneName(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local'
  } catch {
    return 'local'
  }
}

function dayKey(d: Date, utc: boolean): string {
  return utc ? d.toISOString().slice(0, 10) : `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`
}

/**
 * The list's time column: `14:05` today, `3 Jan 14:05` another day this year,
 * `3 Jan 2025 14:05` before — in the chosen zone, so an alert at 01:23 can be
 * matched without opening rows.
 */
export function rowTime(iso: string, utc: boolean, now = Date.now()): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const zone = utc ? 'UTC' : undefined
  const hm = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: zone }).format(d)
  const n = new Date(now)
  if (dayKey(d, utc) === dayKey(n, utc)) return hm
  const sameYear = (utc ? d.getUTCFullYear() === n.getUTCFullYear() : d.getFullYear() === n.getFullYear())
  const date = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: sameYear ? undefined : 'numeric', timeZone: zone }).format(d)
  return `${date} ${hm}`
}
