import { memo } from 'react'
import type { PainEvent } from '../api/types'
import { getPath } from '../lib/fieldVisibility'
import { humanizeKey, isFailureStatus, summarize } from '../lib/jsonRules'
import { ConnectorMark, useConnector } from './connectors'
import { StatusBadge, TimeText, UserChip } from './ui'

export const EventRow = memo(function EventRow({
  ev,
  top,
  height,
  selected,
  focused,
  fields,
  onOpen,
  index,
}: {
  ev: PainEvent
  top: number
  height: number
  selected: boolean
  focused: boolean
  fields: string[]
  onOpen: (id: string, index: number) => void
  index: number
}) {
  const meta = useConnector()(ev.connector)
  const env = ev.environment
  return (
    <div
      className={`row${focused ? ' focused' : ''}${isFailureStatus(ev.status) ? ' failure' : ''}`}
      style={{ transform: `translateY(${top}px)`, height }}
      role="option"
      aria-selected={selected}
      aria-label={ev.title}
      id={`ev-${ev.id}`}
      data-testid="event-row"
      data-event-id={ev.id}
      onClick={() => onOpen(ev.id, index)}
    >
      <span className="stripe" style={{ background: meta.color }} />
      <ConnectorMark id={ev.connector} />
      <div className="main-col">
        <div className="title" title={ev.title}>{ev.title}</div>
        <div className="meta">
          <span className="proj" title={`Project ${ev.project}`}>{ev.project}</span>
          {ev.kind && (
            <>
              <span className="sep">·</span>
              <span>{ev.kind}</span>
            </>
          )}
          {ev.actor && <UserChip name={ev.actor} />}
          {env && <span className={`env${/^prod/i.test(env) ? ' prod' : ''}`} title="Environment">{env}</span>}
          {fields.map((f) => {
            const v = getPath(ev.data, f)
            if (v === undefined) return null
            return (
              <span className="rfield" key={f} data-testid="row-field">
                <b>{humanizeKey(f.split('.').pop()!)}:</b> {summarize(f, v)}
              </span>
            )
          })}
        </div>
      </div>
      <div className="right">
        <StatusBadge status={ev.status} />
      </div>
      <TimeText iso={ev.timestamp} />
    </div>
  )
})

export function SkeletonRows({ n = 8 }: { n?: number }) {
  return (
    <div aria-busy="true" aria-label="Loading events" data-testid="skeleton">
      {Array.from({ length: n }, (_, i) => (
        <div className="skel-row" key={i}>
          <div className="skel" style={{ width: 22, height: 22, borderRadius: 6 }} />
          <div style={{ display: 'flex', flexDirection: 'column', gap: 7 }}>
            <div className="skel" style={{ width: `${40 + ((i * 17) % 45)}%` }} />
            <div className="skel" style={{ width: `${20 + ((i * 11) % 25)}%`, height: 8 }} />
          </div>
          <div className="skel" style={{ width: 60, justifySelf: 'end' }} />
        </div>
      ))}
    </div>
  )
}
