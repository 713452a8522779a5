import { useEffect, useRef, useState, type ReactNode } from 'react'
import { statusTone } from '../lib/jsonRules'
import { absoluteTime, relativeTime, rowTime, useUtc } from '../lib/time'
import { hashColor } from '../lib/colors'

const PATHS: Record<string, ReactNode> = {
  search: <><circle cx="7" cy="7" r="4.5" /><path d="M10.5 10.5 14 14" /></>,
  x: <path d="M4 4l8 8M12 4l-8 8" />,
  copy: <><rect x="5" y="5" width="8" height="8" rx="1.5" /><path d="M3 10V4.5A1.5 1.5 0 0 1 4.5 3H10" /></>,
  check: <path d="M3.5 8.5 6.5 11.5 12.5 4.5" />,
  caret: <path d="M4 6l4 4 4-4" />,
  clock: <><circle cx="8" cy="8" r="5.5" /><path d="M8 5v3l2 1.5" /></>,
  link: <><path d="M7 9a2.5 2.5 0 0 0 3.5 0l2-2a2.5 2.5 0 0 0-3.5-3.5l-.7.7" /><path d="M9 7a2.5 2.5 0 0 0-3.5 0l-2 2a2.5 2.5 0 0 0 3.5 3.5l.7-.7" /></>,
  ext: <><path d="M9 3h4v4" /><path d="M13 3 7.5 8.5" /><path d="M11 9.5V12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1h2.5" /></>,
  pin: <><path d="M6 2.5h4l-.5 4 2 2v1H4.5v-1l2-2z" /><path d="M8 9.5V14" /></>,
  gear: <><circle cx="8" cy="8" r="2" /><path d="M8 1.8v1.6M8 12.6v1.6M1.8 8h1.6M12.6 8h1.6M3.6 3.6l1.1 1.1M11.3 11.3l1.1 1.1M3.6 12.4l1.1-1.1M11.3 4.7l1.1-1.1" /></>,
  plus: <path d="M8 3v10M3 8h10" />,
  trash: <><path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5" /></>,
  edit: <path d="M10.5 2.5l3 3-7.5 7.5H3v-3z" />,
  plug: <><path d="M5.5 2v3M10.5 2v3M4 5h8v2.5a4 4 0 0 1-8 0z" /><path d="M8 11.5V14" /></>,
  alert: <><path d="M8 2 14.5 13.5h-13z" /><path d="M8 6.5v3M8 11.5v.1" /></>,
  zoomout: <><circle cx="7" cy="7" r="4.5" /><path d="M10.5 10.5 14 14M5 7h4" /></>,
  filter: <path d="M2.5 3.5h11L9.5 8.5V13l-3-1.5v-3z" />,
  list: <path d="M3 4h10M3 8h10M3 12h10" />,
  refresh: <><path d="M13 8a5 5 0 1 1-1.5-3.5" /><path d="M13 2.5v3h-3" /></>,
}

export function Icon({ name, size = 14, className }: { name: keyof typeof PATHS | string; size?: number; className?: string }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      className={className}
    >
      {PATHS[name]}
    </svg>
  )
}

export function StatusBadge({ status }: { status?: string | null }) {
  if (!status) return null
  return (
    <span className={`badge ${statusTone(status)}`} data-testid="status-badge">
      {status.replace(/_/g, ' ')}
    </span>
  )
}

/** A stable, never-red color for a name (red means failure). */
export { hashColor } from '../lib/colors'

export function UserChip({ name, avatar }: { name: string; avatar?: string | null }) {
  return (
    <span className="chip user" data-testid="user-chip" title={name}>
      {avatar ? (
        <img className="avatar" src={avatar} alt="" loading="lazy" referrerPolicy="no-referrer" />
      ) : (
        <span className="avatar" aria-hidden="true" style={{ background: hashColor(name) }}>
          {name.slice(0, 1).toUpperCase()}
        </span>
      )}
      {name}
    </span>
  )
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false)
  return (
    <button
      type="button"
      aria-label={label}
      title={done ? 'Copied' : label}
      onClick={async (e) => {
        e.stopPropagation()
        try {
          await navigator.clipboard.writeText(text)
        } catch {
          const ta = document.createElement('textarea')
          ta.value = text
          document.body.appendChild(ta)
          ta.select()
          try {
            document.execCommand('copy')
          } catch {
            /* nothing more to try */
          }
          ta.remove()
        }
        setDone(true)
        setTimeout(() => setDone(false), 1200)
      }}
    >
      <Icon name={done ? 'check' : 'copy'} size={12} />
    </button>
  )
}

export function TimeText({ iso, className }: { iso: string; className?: string }) {
  const utc = useUtc()
  const [, tick] = useState(0)
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000)
    return () => clearInterval(t)
  }, [])
  return (
    <time dateTime={iso} title={absoluteTime(iso, utc)} className={className}>
      {relativeTime(iso)}
    </time>
  )
}

/** Closes on outside click and Escape. */
export function usePopover() {
  const [open, setOpen] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false)
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation()
        setOpen(false)
      }
    }
    document.addEventListener('mousedown', onDown)
    document.addEventListener('keydown', onKey, true)
    return () => {
      document.removeEventListener('mousedown', onDown)
      document.removeEventListener('keydown', onKey, true)
    }
  }, [open])
  return { open, setOpen, ref }
}

export function Modal({
  title,
  onClose,
  children,
  footer,
  labelledBy = 'modal-title',
}: {
  title: ReactNode
  onClose: () => void
  children: ReactNode
  footer?: ReactNode
  labelledBy?: string
}) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <div className="modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby={labelledBy}>
        <div className="modal-head">
          <h2 id={labelledBy}>{title}</h2>
          <button className="btn ghost icon" aria-label="Close" onClick={onClose}>
            <Icon name="x" />
          </button>
        </div>
        <div className="modal-body">{children}</div>
        {footer && <div className="modal-foot">{footer}</div>}
      </div>
    </div>
  )
}

export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
  error,
}: {
  title: string
  message: ReactNode
  confirmLabel: string
  onConfirm: () => void
  onCancel: () => void
  busy?: boolean
  error?: string | null
}) {
  return (
    <Modal
      title={title}
      onClose={onCancel}
      labelledBy="confirm-title"
      footer={
        <>
          {error && <span className="err-text" style={{ marginRight: 'auto' }}>{error}</span>}
          <button className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button className="btn danger solid" onClick={onConfirm} disabled={busy} autoFocus>
            {confirmLabel}
          </button>
        </>
      }
    >
      {message}
    </Modal>
  )
}

/**
 * Absolute clock time for the list (`14:05`, `3 Jan 14:05`) in the chosen
 * zone; the relative time and the full timestamp on hover.
 */
export function ClockTime({ iso }: { iso: string }) {
  const utc = useUtc()
  const [, tick] = useState(0)
  useEffect(() => {
    // Re-render at least every minute so "today" rolls over at midnight.
    const t = setInterval(() => tick((n) => n + 1), 60_000)
    return () => clearInterval(t)
  }, [])
  return (
    <time dateTime={iso} title={`${relativeTime(iso)} · ${absoluteTime(iso, utc)}`} data-testid="row-time">
      {rowTime(iso, utc)}
    </time>
  )
}
