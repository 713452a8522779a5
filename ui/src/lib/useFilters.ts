import { useCallback, useMemo } from 'react'
import { useSearchParams } from 'react-router'
import { parseFilters, serializeFilters, type Filters } from './filters'

/** The timeline's filters, read from and written to the URL. `event` (the open detail panel) rides along. */
export function useFilters() {
  const [params, setParams] = useSearchParams()
  const key = params.toString()
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const filters = useMemo(() => parseFilters(new URLSearchParams(key)), [key])
  const selected = params.get('event')

  const setFilters = useCallback(
    (next: Filters | ((f: Filters) => Filters), opts: { replace?: boolean } = {}) => {
      setParams(
        (prev) => {
          const cur = parseFilters(prev)
          const f = typeof next === 'function' ? next(cur) : next
          const p = serializeFilters(f)
          const ev = prev.get('event')
          if (ev) p.set('event', ev)
          return p
        },
        { replace: opts.replace },
      )
    },
    [setParams],
  )

  const setSelected = useCallback(
    (id: string | null) => {
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev)
          if (id) p.set('event', id)
          else p.delete('event')
          return p
        },
        { replace: true },
      )
    },
    [setParams],
  )

  return { filters, setFilters, selected, setSelected }
}
