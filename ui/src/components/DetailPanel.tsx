import { useEffect, useRef } from 'react'
import { useEvent } from '../api/hooks'
import type { PainEvent } from '../api/types'
import { setFieldVisible, useFieldVisibility, visibilityKey } from '../lib/fieldVisibility'
import { errorMessage } from '../api/client'
import { absoluteTime, useUtc } from '../lib/time'
import { ConnectorMark, useConnector } from './connectors'
import { JsonView, ScalarValue } from './JsonView'
import { Icon, StatusBadge, TimeText, UserChip } from './ui'
import { isSha } from '../lib/jsonRules'
import { configDiff, isConfigChange } from '../lib/evidence'
import { isHttpUrl } from '../lib/url'
import { ConfigDiff } from './ConfigDiff'
import { EvidenceChips } from './EventRow'

export function DetailPanel({
  id,
  initial,
  onClose,
  onRef,
  onFilter,
  onChangesBefore,
}: {
  id: string
  initial?: PainEvent
  onClose: () => void
  onRef: (ref: string) => void
  onFilter: (key: 'project' | 'connector' | 'environment' | 'kind' | 'tag', value: string) => void
  /** "Changes before this": the window before the event, same environment. */
  onChangesBefore?: (ev: PainEvent) => void
}) {
  const { data: ev, error, isLoading } = useEvent(id, initial)
  const utc = useUtc()
  const meta = useConnector()(ev?.connector ?? '')
  const vis = useFieldVisibility()
  const closeRef = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    closeRef.current?.focus({ preventScroll: true })
  }, [id])

  if (!ev) {
    return (
      <aside className="panel" aria-label="Event details">
        <div className="panel-head">
          <div className="top">
            <span style={{ flex: 1 }} />
            <button ref={closeRef} className="btn ghost icon" aria-label="Close details" onClick={onClose}>
              <Icon name="x" />
            </button>
          </div>
          {isLoading ? <div className="skel" style={{ width: '70%', height: 14 }} /> : <p className="err-text">{error ? errorMessage(error) : 'Event not found'}</p>}
        </div>
      </aside>
    )
  }
  const pinned = vis[visibilityKey(ev.connector, ev.kind)] ?? []
  const core: [string, React.ReactNode][] = []
  core.push(['Time', <span key="t">{absoluteTime(ev.timestamp, utc)} <span className="faint">(<TimeText iso={ev.timestamp} />)</span></span>])
  core.push(['Connector', <button key="c" className="chip" onClick={() => onFilter('connector', ev.connector)} title="Filter by this connector">{meta.name}</button>])
  core.push(['Project', <button key="p" className="chip" onClick={() => onFilter('project', ev.project)} title="Filter by this project">{ev.project}</button>])
  if (ev.kind) core.push(['Kind', <button key="k" className="chip" onClick={() => onFilter('kind', ev.kind!)} title="Filter by this kind">{ev.kind}</button>])
  if (ev.status) core.push(['Status', <StatusBadge key="s" status={ev.status} />])
  if (ev.actor) core.push(['Actor', <UserChip key="a" name={ev.actor} />])
  if (ev.environment) core.push(['Environment', <button key="e" className="chip" onClick={() => onFilter('environment', ev.environment!)}>{ev.environment}</button>])
  if (ev.service) core.push(['Service', <span key="sv">{ev.service}</span>])
  // Only http(s) URLs become links (a `javascript:` url must stay text).
  if (ev.url) core.push(['URL', isHttpUrl(ev.url) ? <ScalarValue key="u" k="url" value={ev.url} /> : <code key="u" data-testid="url-text">{ev.url}</code>])
  if (ev.tags?.length)
    core.push([
      'Tags',
      <div key="tg" className="chips">
        {ev.tags.map((t) => (
          <button key={t} className="chip" onClick={() => onFilter('tag', t)} title={`Filter by tag ${t}`}>{t}</button>
        ))}
      </div>,
    ])
  if (ev.externalId) core.push(['External id', <code key="x">{ev.externalId}</code>])
  if (ev.integrationId) core.push(['Integration', <code key="i">{ev.integrationId}</code>])
  core.push(['Event id', <code key="id">{ev.id}</code>])

  return (
    <aside className="panel" aria-label="Event details" data-testid="detail-panel">
      <div className="panel-head">
        <div className="top">
          <ConnectorMark id={ev.connector} size="sm" />
          <span>{meta.name}</span>
          <span className="faint">·</span>
          <span>{ev.project}</span>
          <span style={{ flex: 1 }} />
          {ev.url && isHttpUrl(ev.url) && (
            <a className="btn sm" href={ev.url} target="_blank" rel="noopener noreferrer">
              Open <Icon name="ext" size={12} />
            </a>
          )}
          <button ref={closeRef} className="btn ghost icon sm" aria-label="Close details" title="Close (Esc)" onClick={onClose}>
            <Icon name="x" />
          </button>
        </div>
        <h2>{ev.title}</h2>
        <div className="chips" style={{ alignItems: 'center' }}>
          <StatusBadge status={ev.status} />
          {ev.actor && <UserChip name={ev.actor} />}
          <span className="faint small"><TimeText iso={ev.timestamp} /></span>
        </div>
        <div className="chips evidence" style={{ marginTop: 6 }}>
          <EvidenceChips ev={ev} />
        </div>
        {onChangesBefore && (
          <div className="panel-actions">
            <button
              type="button"
              className="btn sm"
              data-testid="changes-before"
              title={`Show the changes in the 2 hours before this event${ev.environment ? ` in ${ev.environment}` : ''}`}
              onClick={() => onChangesBefore(ev)}
            >
              <Icon name="clock" size={12} /> Changes before this
              <span className="faint">(2 h{ev.environment ? `, ${ev.environment}` : ''})</span>
            </button>
          </div>
        )}
      </div>
      <div className="panel-body">
        <h3>Event</h3>
        <dl className="kv">
          {core.map(([k, v]) => (
            <div key={k} style={{ display: 'contents' }}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
        {ev.refs && ev.refs.length > 0 && (
          <>
            <h3>References</h3>
            <div className="chips" data-testid="refs">
              {ev.refs.map((r) => (
                <button
                  key={`${r.type}:${r.value}`}
                  className="chip ref"
                  data-testid="ref-chip"
                  title={`Show every event that references ${r.type} ${r.value}`}
                  aria-label={`Filter timeline by ${r.type} ${r.value}`}
                  onClick={() => onRef(`${r.type}:${r.value}`)}
                >
                  <b>{r.type}</b>
                  {isSha('sha', r.value) && r.value.length >= 40 ? r.value.slice(0, 7) : r.value}
                </button>
              ))}
            </div>
          </>
        )}
        {isConfigChange(ev) && configDiff(ev).length > 0 && (
          <>
            <h3>Changes</h3>
            <ConfigDiff changes={configDiff(ev)} />
          </>
        )}
        <h3>
          Data
          <span className="faint" style={{ textTransform: 'none', letterSpacing: 0, fontWeight: 400 }}>
            — pin <Icon name="pin" size={11} /> a field to show it in the list for {meta.name}
            {ev.kind ? ` ${ev.kind}` : ''} events
          </span>
        </h3>
        {ev.data && Object.keys(ev.data).length > 0 ? (
          <JsonView
            data={ev.data}
            collapseDepth={isConfigChange(ev) ? 4 : 1}
            pinned={pinned}
            onTogglePin={(k, on) => setFieldVisible(ev.connector, ev.kind, k, on)}
          />
        ) : (
          <p className="faint">No data.</p>
        )}
        {ev.extra && Object.keys(ev.extra).length > 0 && (
          <>
            <h3>Other fields</h3>
            <JsonView data={ev.extra} />
          </>
        )}
      </div>
    </aside>
  )
}
