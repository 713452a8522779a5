import { describe, expect, test } from 'vitest'
import { StrictMode, useReducer } from 'react'
import { act, render } from '@testing-library/react'
import type { PainEvent } from '../api/types'
import { EMPTY_LIVE, insertSorted, LIVE_CAP, liveReducer, mergeLive, type LiveAction } from './liveList'

const ev = (i: number): PainEvent => ({
  id: `e${String(i).padStart(5, '0')}`,
  title: `t${i}`,
  connector: 'c',
  project: 'p',
  timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
})

describe('live list', () => {
  test('streamed events are kept newest first and capped', () => {
    let s = EMPTY_LIVE
    for (let i = 0; i < LIVE_CAP + 50; i++) s = liveReducer(s, { type: 'event', ev: ev(i % 2 ? i : LIVE_CAP + 50 - i), away: false })
    expect(s.live).toHaveLength(LIVE_CAP)
    const ts = s.live.map((e) => e.timestamp)
    expect(ts).toEqual([...ts].sort().reverse())
    expect(s.live[0].id).toBe(ev(LIVE_CAP + 50).id)
  })

  test('a repeated event replaces itself instead of duplicating', () => {
    const a = insertSorted(insertSorted([], ev(1)), { ...ev(1), title: 'edited' })
    expect(a).toHaveLength(1)
    expect(a[0].title).toBe('edited')
  })

  test('flush moves pending into live once, even when React runs the reducer twice (StrictMode)', () => {
    let dispatch!: (a: LiveAction) => void
    let state = EMPTY_LIVE
    function Probe() {
      const [s, d] = useReducer(liveReducer, EMPTY_LIVE)
      dispatch = d
      state = s
      return null
    }
    render(
      <StrictMode>
        <Probe />
      </StrictMode>,
    )
    act(() => {
      dispatch({ type: 'event', ev: ev(1), away: false })
      dispatch({ type: 'event', ev: ev(2), away: true })
      dispatch({ type: 'event', ev: ev(3), away: true })
      dispatch({ type: 'event', ev: ev(3), away: true })
    })
    expect(state.pending.map((e) => e.id)).toEqual([ev(3).id, ev(2).id])
    act(() => dispatch({ type: 'flush' }))
    expect(state.pending).toEqual([])
    expect(state.live.map((e) => e.id)).toEqual([ev(3).id, ev(2).id, ev(1).id])
  })

  test('mergeLive merges two sorted lists without duplicates', () => {
    const loaded = [ev(9), ev(5), ev(1)]
    const live = [ev(10), ev(9), ev(6), ev(2)]
    expect(mergeLive(loaded, live).map((e) => e.title)).toEqual(['t10', 't9', 't6', 't5', 't2', 't1'])
    expect(mergeLive(loaded, [])).toBe(loaded)
  })
})
