// Events streamed into the open timeline. One reducer holds both lists so a
// "flush pending into live" is a single pure state transition (it used to be
// a setLive call inside setPending's updater, which React runs twice under
// StrictMode — duplicating the flushed events). Both lists are capped: a tab
// left open for days must not grow without bound, and new events are
// inserted in order instead of re-sorting everything on each one.

import type { PainEvent } from '../api/types'

/** Most streamed events kept; older ones are still reachable by scrolling (pages). */
export const LIVE_CAP = 500

export interface LiveState {
  live: PainEvent[]
  pending: PainEvent[]
}

export type LiveAction =
  | { type: 'event'; ev: PainEvent; away: boolean }
  | { type: 'flush' }
  | { type: 'reset' }

export const EMPTY_LIVE: LiveState = { live: [], pending: [] }

/** Newest first; ties broken by id (as the API orders). */
export function byTimeDesc(a: PainEvent, b: PainEvent): number {
  return a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}

/** Inserts into a newest-first list (replacing a same-id event), capped. */
export function insertSorted(list: PainEvent[], ev: PainEvent, cap = LIVE_CAP): PainEvent[] {
  const without = list.some((x) => x.id === ev.id) ? list.filter((x) => x.id !== ev.id) : list
  let lo = 0
  let hi = without.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (byTimeDesc(without[mid], ev) <= 0) lo = mid + 1
    else hi = mid
  }
  const next = [...without.slice(0, lo), ev, ...without.slice(lo)]
  return next.length > cap ? next.slice(0, cap) : next
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.type) {
    case 'reset':
      return state.live.length || state.pending.length ? EMPTY_LIVE : state
    case 'event':
      if (action.away) {
        if (state.pending.some((x) => x.id === action.ev.id)) return state
        return { ...state, pending: insertSorted(state.pending, action.ev) }
      }
      return { ...state, live: insertSorted(state.live, action.ev) }
    case 'flush': {
      if (!state.pending.length) return state
      let live = state.live
      for (const ev of state.pending) live = insertSorted(live, ev)
      return { live, pending: [] }
    }
  }
}

/**
 * Loaded pages (newest first) plus streamed events not among them, in order:
 * a linear merge of two sorted lists, no re-sort.
 */
export function mergeLive(loaded: PainEvent[], live: PainEvent[]): PainEvent[] {
  if (!live.length) return loaded
  const seen = new Set(loaded.map((e) => e.id))
  const fresh = live.filter((e) => !seen.has(e.id))
  if (!fresh.length) return loaded
  const out: PainEvent[] = []
  let i = 0
  let j = 0
  while (i < loaded.length || j < fresh.length) {
    if (j >= fresh.length || (i < loaded.length && byTimeDesc(loaded[i], fresh[j]) <= 0)) out.push(loaded[i++])
    else out.push(fresh[j++])
  }
  return out
}
