// The SSE stream into the open timeline: a capped, ordered live list, plus
// the "N new events" pending list while the user is scrolled away.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { openEventStream, type StreamState } from '../api/stream'
import { EMPTY_LIVE, liveReducer } from '../lib/liveList'

export function useLiveEvents(streamKey: string, liveView: boolean, start: string | undefined, resetKey: string) {
  const qc = useQueryClient()
  const [state, dispatch] = useReducer(liveReducer, EMPTY_LIVE)
  const [streamState, setStreamState] = useState<StreamState>('connecting')
  const awayRef = useRef(false)

  useEffect(() => {
    dispatch({ type: 'reset' })
  }, [resetKey])
  useEffect(() => {
    if (!liveView) {
      setStreamState('closed')
      return
    }
    let refetchTimer: ReturnType<typeof setTimeout> | undefined
    const from = start ? Date.parse(start) : null
    const h = openEventStream(
      streamKey,
      (ev) => {
        if (from != null && Date.parse(ev.timestamp) < from) return
        dispatch({ type: 'event', ev, away: awayRef.current })
        clearTimeout(refetchTimer)
        refetchTimer = setTimeout(() => qc.invalidateQueries({ queryKey: ['timeline'] }), 1500)
      },
      setStreamState,
    )
    return () => {
      clearTimeout(refetchTimer)
      h.close()
    }
  }, [streamKey, liveView, start, qc])

  /** The list scrolled: near the top, pending events join the list. */
  const setAway = useCallback((away: boolean) => {
    awayRef.current = away
    if (!away) dispatch({ type: 'flush' })
  }, [])

  return { live: state.live, pending: state.pending, streamState, setAway }
}
