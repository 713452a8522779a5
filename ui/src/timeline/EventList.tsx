// The virtualized event list: rows, group headers, change stories, the
// "load more" foot, and keyboard navigation (j/k, Enter, Esc, /).
import { useCallback, useEffect, useMemo, useState, type RefObject } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { PainEvent } from '../api/types'
import type { GroupBy } from '../lib/filters'
import { useFieldVisibility, visibilityKey } from '../lib/fieldVisibility'
import { useConnector } from '../components/connectors'
import { EventRow } from '../components/EventRow'
import { StoryRow } from '../components/StoryRow'
import { Icon } from '../components/ui'
import type { Item } from './useListItems'

const NO_FIELDS: string[] = []
const ROW_H = 52
const GROUP_H = 34
const FOOT_H = 44
const STORY_H = 56

export interface PagesInfo {
  hasNextPage: boolean
  isFetchingNextPage: boolean
  isError: boolean
  fetchNextPage: () => unknown
}

export function EventList(props: {
  items: Item[]
  events: PainEvent[]
  group: GroupBy
  toggle: (key: string) => void
  selected: string | null
  setSelected: (id: string | null) => void
  pages: PagesInfo
  listRef: RefObject<HTMLDivElement | null>
  searchRef: RefObject<HTMLInputElement | null>
  onAway: (away: boolean) => void
}) {
  const { items, events, group, toggle, selected, setSelected, pages, listRef, searchRef, onAway } = props
  const connector = useConnector()
  const vis = useFieldVisibility()
  const virt = useVirtualizer({
    count: items.length,
    getScrollElement: () => listRef.current,
    estimateSize: (i) => {
      const t = items[i]?.type
      return t === 'group' ? GROUP_H : t === 'foot' ? FOOT_H : t === 'story' ? STORY_H : ROW_H
    },
    overscan: 12,
    getItemKey: (i) => {
      const it = items[i]
      return it.type === 'row' ? `r:${it.ev.id}` : it.type === 'group' ? `g:${it.key}` : it.type === 'story' ? `s:${it.story.key}` : 'foot'
    },
  })
  const vItems = virt.getVirtualItems()

  // infinite scroll
  const lastIndex = vItems.length ? vItems[vItems.length - 1].index : -1
  useEffect(() => {
    if (lastIndex >= items.length - 15 && pages.hasNextPage && !pages.isFetchingNextPage && !pages.isError) pages.fetchNextPage()
  }, [lastIndex, items.length, pages])

  // ---- keyboard navigation ----
  const rowItems = useMemo(() => items.map((it, i) => (it.type === 'row' ? i : -1)).filter((i) => i >= 0), [items])
  const [focusIdx, setFocusIdx] = useState(-1)
  const focused = items[focusIdx]
  const focusedId = focused?.type === 'row' ? focused.ev.id : null
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) {
        if (e.key === 'Escape' && t === searchRef.current) t.blur()
        return
      }
      if (e.metaKey || e.ctrlKey || e.altKey) return
      if (document.querySelector('.popover, .modal-back')) return
      if (e.key === 'j' || e.key === 'k' || e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && t !== listRef.current) return
        e.preventDefault()
        const pos = rowItems.indexOf(focusIdx)
        const down = e.key === 'j' || e.key === 'ArrowDown'
        const nextPos = pos < 0 ? 0 : Math.max(0, Math.min(rowItems.length - 1, pos + (down ? 1 : -1)))
        const idx = rowItems[nextPos]
        if (idx == null) return
        setFocusIdx(idx)
        virt.scrollToIndex(idx, { align: 'auto' })
        // With the panel open, moving also shows the newly focused event.
        const it = items[idx]
        if (selected && it?.type === 'row') setSelected(it.ev.id)
      } else if (e.key === 'Enter' || e.key === 'o') {
        const it = items[focusIdx]
        if (it?.type === 'row') {
          e.preventDefault()
          setSelected(it.ev.id)
        }
      } else if (e.key === 'Escape') {
        if (selected) {
          e.preventDefault()
          setSelected(null)
          listRef.current?.focus()
        }
      } else if (e.key === '/') {
        e.preventDefault()
        searchRef.current?.focus()
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [rowItems, focusIdx, items, selected, setSelected, virt, listRef, searchRef])

  const onOpen = useCallback(
    (id: string, index: number) => {
      setSelected(id)
      const i = items.findIndex((it) => it.type === 'row' && it.ev.id === id)
      setFocusIdx(i >= 0 ? i : index)
    },
    [setSelected, items],
  )

  return (
    <div
      className="list"
      ref={listRef}
      onScroll={() => onAway((listRef.current?.scrollTop ?? 0) > 60)}
      tabIndex={0}
      role="listbox"
      aria-label="Events, newest first. j/k to move, Enter to open, Esc to close"
      aria-activedescendant={focusedId ? `ev-${focusedId}` : undefined}
      data-testid="event-list"
    >
      <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
        {vItems.map((vi) => {
          const it = items[vi.index]
          if (it.type === 'story')
            return <StoryRow key={vi.key} story={it.story} collapsed={it.collapsed} top={vi.start} height={vi.size} onToggle={() => toggle(it.story.key)} />
          if (it.type === 'group') {
            return (
              <button
                key={vi.key}
                type="button"
                className="group-head"
                style={{ transform: `translateY(${vi.start}px)`, height: vi.size }}
                aria-expanded={!it.collapsed}
                data-testid="group-head"
                onClick={() => toggle(it.key)}
              >
                <span className="caret"><Icon name="caret" size={12} /></span>
                {group === 'connector' ? (
                  <>
                    <i className="dot" style={{ background: connector(it.key).color }} />
                    {connector(it.key).name}
                  </>
                ) : (
                  it.key
                )}
                <span className="n">{it.total != null && it.total > it.count ? `${it.count} of ${it.total}` : it.count}</span>
              </button>
            )
          }
          if (it.type === 'foot') {
            return (
              <div key={vi.key} className="list-foot" style={{ transform: `translateY(${vi.start}px)` }}>
                {pages.isFetchingNextPage ? (
                  'Loading more…'
                ) : pages.hasNextPage ? (
                  <button className="btn sm" onClick={() => pages.fetchNextPage()}>Load more</button>
                ) : (
                  `End of results · ${events.length} event${events.length === 1 ? '' : 's'}`
                )}
              </div>
            )
          }
          return (
            <EventRow
              key={vi.key}
              ev={it.ev}
              top={vi.start}
              height={vi.size}
              index={vi.index}
              selected={it.ev.id === selected}
              focused={vi.index === focusIdx}
              inStory={it.inStory}
              fields={vis[visibilityKey(it.ev.connector, it.ev.kind)] ?? vis[visibilityKey(it.ev.connector, null)] ?? NO_FIELDS}
              onOpen={onOpen}
            />
          )
        })}
      </div>
    </div>
  )
}
