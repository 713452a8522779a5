import { memo } from 'react'
import type { PainEvent } from '../api/types'
import { getPath } from '../lib/fieldVisibility'
import { humanizeKey, isFailureStatus, summarize } from '../lib/jsonRules'
import { evidence, isProduction } from '../lib/evidence'
import { ConnectorMark, useConnector } from './connectors'
import { RowFieldsMenu } from './RowFieldsMenu'
import { ClockTime, StatusBadge, UserChip } from './ui'

/** Where, what and which commit — the row's evidence chips. */
export function EvidenceChips({ ev }: { ev: PainEvent }) {
  const e = evidence(ev)
  return (
    <>
      {e.service && <span className="ev-chip svc" title="Service" data-testid="row-service">{e.service}</span>}
      {e.environment && (
        <span className={`env${isProduction(e.environment) ? ' prod' : ''}`} title="Environment" data-testid="row-env">{e.environment}</span>
      )}
      {e.version && (
        <span className="ev-chip ver" title={e.version.from ? `Version ${e.version.from} → ${e.version.to}` : `Version ${e.version.to}`} data-testid="row-version">
          {e.version.from && <>{e.version.from} <span className="arrow">→</span> </>}
          {e.version.to}
        </span>
      )}
      {e.changedKeys && e.changedKeys.length > 0 && (
        <span className="ev-chip keys" title={`Changed: ${e.changedKeys.join(', ')}`} data-testid="row-keys">
          {e.changedKeys.slice(0, 3).join(', ')}
          {e.changedKeys.length > 3 ? ` +${e.changedKeys.length - 3}` : ''}
        </span>
      )}
      {e.commit && <span className="ev-chip sha-chip" title={`Commit ${e.commit.full}`} data-testid="row-commit">{e.commit.short}</span>}
    </>
  )
}

export const EventRow = memo(function EventRow({
  ev,
  top,
  height,
  selected,
  focused,
  fields,
  onOpen,
  index,
  inStory,
}: {
  ev: PainEvent
  top: number
  height: number
  selected: boolean
  focused: boolean
  fields: string[]
  onOpen: (id: string, index: number) => void
  index: number
  inStory?: boolean
}) {
  const meta = useConnector()(ev.connector)
  return (
    <div
      className={`row${focused ? ' focused' : ''}${isFailureStatus(ev.status) ? ' failure' : ''}${inStory ? ' in-story' : ''}`}
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
              <span className="kind">{ev.kind}</span>
            </>
          )}
          <EvidenceChips ev={ev} />
          {ev.actor && <UserChip name={ev.actor} />}
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
        <RowFieldsMenu ev={ev} pinned={fields} />
        <StatusBadge status={ev.status} />
      </div>
      <ClockTime iso={ev.timestamp} />
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
