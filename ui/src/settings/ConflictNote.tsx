// Shown when saving an integration answers 409 `conflict`: someone (or the
// config file, or a connector) changed it since this form was opened.
import { useEffect, useRef, useState } from 'react'
import { errorMessage } from '../api/client'

export function ConflictNote({ onReload }: { onReload: () => Promise<void> }) {
  const [busy, setBusy] = useState(false)
  const [err, setErr] = useState<string | null>(null)
  const ref = useRef<HTMLDivElement>(null)
  // Save is at the bottom of a long form: bring the explanation into view.
  useEffect(() => {
    // (a block body: scrollIntoView may return a Promise, which React would take for a cleanup)
    ref.current?.scrollIntoView?.({ block: 'nearest' })
  }, [])
  return (
    <div className="note warn" role="alert" data-testid="conflict-note" ref={ref}>
      <b>This integration was changed by someone else</b> since you opened it, so your save was not applied. Reload to see
      the current version (your unsaved edits here are discarded), then make your change again.{' '}
      <button
        type="button"
        className="btn sm"
        disabled={busy}
        data-testid="conflict-reload"
        onClick={async () => {
          setBusy(true)
          setErr(null)
          try {
            await onReload()
          } catch (e) {
            setErr(errorMessage(e))
          } finally {
            setBusy(false)
          }
        }}
      >
        {busy ? 'Reloading…' : 'Reload'}
      </button>
      {err && <div className="err-text">{err}</div>}
    </div>
  )
}
