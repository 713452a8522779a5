// The generic JSON renderer: no connector-specific code, every choice comes
// from lib/jsonRules (key names and value shapes).

import { useState, type ReactNode } from 'react'
import {
  avatarOf,
  detectKind,
  humanizeKey,
  isPlainObject,
  isUserKey,
  shortSha,
  tableColumns,
  userName,
  type Scalar,
} from '../lib/jsonRules'
import { absoluteTime, relativeTime, useUtc } from '../lib/time'
import { CopyButton, Icon, StatusBadge, UserChip } from './ui'

export interface JsonViewProps {
  data: Record<string, unknown> | unknown[]
  /** Top-level fields pinned to the list row; shows a pin toggle per top-level key when given. */
  pinned?: string[]
  onTogglePin?: (key: string, on: boolean) => void
  /** Objects deeper than this start collapsed. */
  collapseDepth?: number
}

export function JsonView({ data, pinned, onTogglePin, collapseDepth = 1 }: JsonViewProps) {
  if (Array.isArray(data)) return <div className="jv"><ArrayValue k="" value={data} depth={0} collapseDepth={collapseDepth} /></div>
  const entries = Object.entries(data)
  if (entries.length === 0) return <div className="jv jv-null">No data</div>
  return (
    <div className="jv" data-testid="json-view">
      {entries.map(([k, v]) => (
        <Entry
          key={k}
          k={k}
          value={v}
          depth={0}
          collapseDepth={collapseDepth}
          pin={
            onTogglePin
              ? { on: !!pinned?.includes(k), toggle: (on) => onTogglePin(k, on) }
              : undefined
          }
        />
      ))}
    </div>
  )
}

function Entry({
  k,
  value,
  depth,
  collapseDepth,
  pin,
}: {
  k: string
  value: unknown
  depth: number
  collapseDepth: number
  pin?: { on: boolean; toggle: (on: boolean) => void }
}) {
  const kind = detectKind(k, value)
  const nested = kind === 'object' || kind === 'list' || kind === 'table'
  // A user-like key holding a user object renders as a chip, not a nested tree.
  const user = isUserKey(k) && isPlainObject(value) ? userName(value) : null
  const [open, setOpen] = useState(depth < collapseDepth || (Array.isArray(value) && value.length <= 5 && depth < collapseDepth + 1))
  const pinBtn = pin ? (
    <button
      type="button"
      className="pin"
      aria-pressed={pin.on}
      aria-label={`${pin.on ? 'Hide' : 'Show'} ${k} in the list`}
      title={pin.on ? 'Shown in the list (click to hide)' : 'Show this field in the list'}
      onClick={() => pin.toggle(!pin.on)}
    >
      <Icon name="pin" size={13} />
    </button>
  ) : (
    <span />
  )
  if (user) {
    return (
      <div className="jv-row" data-key={k}>
        <span className="jv-key" title={k}>{humanizeKey(k)}</span>
        <span className="jv-val">
          <UserChip name={user} avatar={avatarOf(value)} />
        </span>
        {pinBtn}
      </div>
    )
  }
  if (!nested) {
    return (
      <div className="jv-row" data-key={k}>
        <span className="jv-key" title={k}>{humanizeKey(k)}</span>
        <span className="jv-val">
          <ScalarValue k={k} value={value as Scalar} />
        </span>
        {pinBtn}
      </div>
    )
  }
  const size = Array.isArray(value) ? value.length : Object.keys(value as object).length
  const summary = Array.isArray(value) ? `${size} item${size === 1 ? '' : 's'}` : `${size} field${size === 1 ? '' : 's'}`
  return (
    <div className="jv-row" data-key={k}>
      <button type="button" className="jv-toggle jv-key" aria-expanded={open} onClick={() => setOpen(!open)} title={k}>
        <span className="caret"><Icon name="caret" size={11} /></span>
        {humanizeKey(k)}
      </button>
      <span className="jv-val faint small">{open ? '' : summary}</span>
      {pinBtn}
      {open && (
        <div className="jv-nested">
          {kind === 'object' ? (
            Object.keys(value as object).length === 0 ? (
              <span className="jv-null">empty</span>
            ) : (
              Object.entries(value as Record<string, unknown>).map(([ck, cv]) => (
                <Entry key={ck} k={ck} value={cv} depth={depth + 1} collapseDepth={collapseDepth} />
              ))
            )
          ) : (
            <ArrayValue k={k} value={value as unknown[]} depth={depth + 1} collapseDepth={collapseDepth} />
          )}
        </div>
      )}
    </div>
  )
}

function ArrayValue({ k, value, depth, collapseDepth }: { k: string; value: unknown[]; depth: number; collapseDepth: number }) {
  if (value.length === 0) return <span className="jv-null">empty list</span>
  const kind = detectKind(k, value)
  if (kind === 'table') {
    const rows = value as Record<string, Scalar>[]
    const cols = tableColumns(rows)
    return (
      <div className="jv-table-wrap">
        <table className="jv-table" data-testid="json-table">
          <thead>
            <tr>
              {cols.map((c) => (
                <th key={c} scope="col">{humanizeKey(c)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {cols.map((c) => (
                  <td key={c}>{r[c] === undefined ? '' : <ScalarValue k={c} value={r[c]} />}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )
  }
  // Array of user names under a user-like key (e.g. `reviewers`) → chips.
  const singular = k.replace(/s$/, '')
  if (value.every((v) => typeof v === 'string' || isPlainObject(v)) && isUserKey(singular) && value.every((v) => userName(v))) {
    return (
      <div className="chips">
        {value.map((v, i) => (
          <UserChip key={i} name={userName(v)!} avatar={avatarOf(v)} />
        ))}
      </div>
    )
  }
  if (value.every((v) => typeof v === 'string' && v.length < 40 && !/^https?:/.test(v)) && value.length <= 30) {
    const scalarKinds = value.map((v) => detectKind(singular, v))
    if (scalarKinds.every((sk) => sk === 'text')) {
      return (
        <div className="chips" data-testid="json-chips">
          {value.map((v, i) => (
            <span key={i} className="chip">{String(v)}</span>
          ))}
        </div>
      )
    }
  }
  return (
    <ol className="jv-list" data-testid="json-list">
      {value.map((v, i) => (
        <li key={i}>
          {isPlainObject(v) || Array.isArray(v) ? (
            <NestedItem index={i} value={v} depth={depth} collapseDepth={collapseDepth} />
          ) : (
            <ScalarValue k={singular} value={v as Scalar} />
          )}
        </li>
      ))}
    </ol>
  )
}

function NestedItem({ index, value, depth, collapseDepth }: { index: number; value: object; depth: number; collapseDepth: number }) {
  const [open, setOpen] = useState(depth < collapseDepth + 1)
  const label = isPlainObject(value)
    ? String(
        value.name ?? value.title ?? value.message ?? value.id ?? value.key ?? `Item ${index + 1}`,
      ).split('\n')[0]
    : `Item ${index + 1}`
  return (
    <div>
      <button type="button" className="jv-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="caret"><Icon name="caret" size={11} /></span>
        {label.length > 80 ? label.slice(0, 77) + '…' : label}
      </button>
      {open && (
        <div className="jv-nested">
          {Array.isArray(value) ? (
            <ArrayValue k="" value={value} depth={depth + 1} collapseDepth={collapseDepth} />
          ) : (
            Object.entries(value).map(([ck, cv]) => (
              <Entry key={ck} k={ck} value={cv} depth={depth + 1} collapseDepth={collapseDepth} />
            ))
          )}
        </div>
      )}
    </div>
  )
}

export function Timestamp({ iso }: { iso: string }) {
  const utc = useUtc()
  return (
    <time className="ts" dateTime={iso} title={relativeTime(iso)} data-testid="json-timestamp">
      {absoluteTime(iso, utc)}
    </time>
  )
}

export function Sha({ sha }: { sha: string }) {
  return (
    <span className="sha" title={sha} data-testid="json-sha">
      {shortSha(sha)}
      <CopyButton text={sha} label={`Copy ${sha}`} />
    </span>
  )
}

export function ScalarValue({ k, value }: { k: string; value: Scalar | undefined }): ReactNode {
  const kind = detectKind(k, value)
  switch (kind) {
    case 'null':
      return <span className="jv-null">null</span>
    case 'boolean':
      return <span className="jv-bool">{String(value)}</span>
    case 'number':
      return <span className="jv-num">{String(value)}</span>
    case 'url': {
      const s = String(value)
      return (
        <a href={s} target="_blank" rel="noopener noreferrer" data-testid="json-link">
          {s.replace(/^https?:\/\//, '').length > 70 ? s.replace(/^https?:\/\//, '').slice(0, 67) + '…' : s.replace(/^https?:\/\//, '')}
        </a>
      )
    }
    case 'timestamp':
      return <Timestamp iso={String(value)} />
    case 'sha':
      return <Sha sha={String(value)} />
    case 'user':
      return <UserChip name={String(value)} />
    case 'status':
      return <StatusBadge status={String(value)} />
    case 'email':
      return <a href={`mailto:${value}`}>{String(value)}</a>
    case 'multiline':
      return <div className="jv-multi">{String(value)}</div>
    default:
      return <span>{String(value)}</span>
  }
}
