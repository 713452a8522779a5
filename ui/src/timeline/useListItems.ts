// The rows the virtual list shows: plain events, group headers (by project or
// connector) or change stories, honouring collapsed groups.
import { useMemo, useState } from 'react'
import type { PainEvent } from '../api/types'
import type { GroupBy } from '../lib/filters'
import { groupStories, type Story } from '../lib/stories'

export type Item =
  | { type: 'group'; key: string; count: number; total?: number; collapsed: boolean }
  | { type: 'row'; ev: PainEvent; rowIndex: number; inStory?: boolean }
  | { type: 'story'; story: Story; collapsed: boolean }
  | { type: 'foot' }

export function buildItems(
  events: PainEvent[],
  group: GroupBy,
  collapsed: Set<string>,
  groupTotals: Map<string, number>,
): Item[] {
  const out: Item[] = []
  let rowIndex = 0
  if (group === 'none') {
    events.forEach((ev) => out.push({ type: 'row', ev, rowIndex: rowIndex++ }))
  } else if (group === 'change') {
    for (const it of groupStories(events)) {
      if (it.type === 'event') {
        out.push({ type: 'row', ev: it.ev, rowIndex: rowIndex++ })
        continue
      }
      // Stories start collapsed: one row per change; the set holds the open ones.
      const open = collapsed.has(it.story.key)
      out.push({ type: 'story', story: it.story, collapsed: !open })
      if (open) for (const ev of it.story.steps) out.push({ type: 'row', ev, rowIndex: rowIndex++, inStory: true })
    }
  } else {
    const groups = new Map<string, PainEvent[]>()
    for (const ev of events) {
      const k = group === 'project' ? ev.project : ev.connector
      let g = groups.get(k)
      if (!g) groups.set(k, (g = []))
      g.push(ev)
    }
    for (const [k, evs] of groups) {
      const isCollapsed = collapsed.has(k)
      out.push({ type: 'group', key: k, count: evs.length, total: groupTotals.get(k), collapsed: isCollapsed })
      if (!isCollapsed) for (const ev of evs) out.push({ type: 'row', ev, rowIndex: rowIndex++ })
    }
  }
  if (events.length) out.push({ type: 'foot' })
  return out
}

export function useListItems(events: PainEvent[], group: GroupBy, groupTotals: Map<string, number>) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set())
  const items = useMemo(() => buildItems(events, group, collapsed, groupTotals), [events, group, collapsed, groupTotals])
  const toggle = (key: string) =>
    setCollapsed((s) => {
      const n = new Set(s)
      if (n.has(key)) n.delete(key)
      else n.add(key)
      return n
    })
  return { items, toggle }
}
