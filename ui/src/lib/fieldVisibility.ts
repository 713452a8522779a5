// Which `data` fields show in the list, chosen per connector/kind and saved
// in this browser (localStorage), as the seed's v1 UI did.

import { useSyncExternalStore } from 'react'

const KEY = 'painchain.fields.v1'
const listeners = new Set<() => void>()
let cache: Record<string, string[]> | null = null

function load(): Record<string, string[]> {
  if (cache) return cache
  try {
    const raw = localStorage.getItem(KEY)
    const parsed = raw ? JSON.parse(raw) : {}
    cache = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}
  } catch {
    cache = {}
  }
  return cache!
}

export function visibilityKey(connector: string, kind?: string | null): string {
  return `${connector}/${kind || '*'}`
}

export function visibleFields(connector: string, kind?: string | null): string[] {
  return load()[visibilityKey(connector, kind)] ?? []
}

export function setFieldVisible(connector: string, kind: string | null | undefined, field: string, visible: boolean) {
  const all = { ...load() }
  const k = visibilityKey(connector, kind)
  const cur = all[k] ?? []
  const next = visible ? (cur.includes(field) ? cur : [...cur, field]) : cur.filter((f) => f !== field)
  if (next.length) all[k] = next
  else delete all[k]
  cache = all
  try {
    localStorage.setItem(KEY, JSON.stringify(all))
  } catch {
    /* ignore quota */
  }
  listeners.forEach((l) => l())
}

export function resetFieldVisibility() {
  cache = {}
  try {
    localStorage.removeItem(KEY)
  } catch {
    /* ignore */
  }
  listeners.forEach((l) => l())
}

/** Re-renders when any visibility choice changes; returns the whole map. */
export function useFieldVisibility(): Record<string, string[]> {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    load,
    load,
  )
}

/** Reads a dotted path (`pull_request.user.login`) out of an object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const part of path.split('.')) {
    if (cur && typeof cur === 'object' && !Array.isArray(cur)) cur = (cur as Record<string, unknown>)[part]
    else return undefined
  }
  return cur
}
