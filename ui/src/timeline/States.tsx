// What the list shows instead of rows: errors, a first-run welcome, and the
// "nothing here" state that points at the newest event when there is one.
import { Link } from 'react-router'
import type { ApiError } from '../api/client'
import type { PainEvent } from '../api/types'
import { Icon } from '../components/ui'

export function ErrorState({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  if (error.status === 401 || error.status === 403) {
    return (
      <div className="state error" data-testid="auth-error">
        <div className="icon"><Icon name="alert" size={20} /></div>
        <h2>{error.status === 401 ? 'This server needs an API token' : 'Your token cannot read events'}</h2>
        <p>{error.message}</p>
        {error.status === 401 && (
          <>
            <p className="small muted">Make one on the server’s machine, then paste it in Settings › Access:</p>
            <pre className="code">painchain token create --local --name browser --scope admin</pre>
          </>
        )}
        <div className="actions">
          <Link className="btn primary" to="/settings/access">Enter an API token</Link>
        </div>
      </div>
    )
  }
  const down = error.network || error.status >= 500
  return (
    <div className="state error" data-testid="api-error">
      <div className="icon"><Icon name="alert" size={20} /></div>
      <h2>{down ? 'The PainChain API is not responding' : 'Could not load events'}</h2>
      <p>{down ? 'Check that `painchain serve` is running and reachable, then retry.' : error.message}</p>
      {!down && error.field && <p className="faint">Field: {error.field}</p>}
      <div className="actions">
        <button className="btn primary" onClick={onRetry}><Icon name="refresh" /> Retry</button>
      </div>
    </div>
  )
}

export function Welcome() {
  const curl = `curl -X POST localhost:8000/api/integrations -H 'content-type: application/json' \\
  -d '{"type":"git","name":"this repo","config":{"name":"this repo","tags":[],"path":"."}}'`
  return (
    <div className="state" data-testid="welcome">
      <div className="icon"><Icon name="plug" size={20} /></div>
      <h2>No events yet</h2>
      <p>
        PainChain shows every change — merged PRs, pushes, CI runs, deploys — on one timeline. Start with the
        repository you are in: it needs no token.
      </p>
      <pre className="code">{`painchain serve\n${curl}`}</pre>
      <p className="small muted">
        Or add an integration of type <code>git</code> with config{' '}
        <code>{'{"name": "this repo", "tags": [], "path": "."}'}</code> in Settings. With authentication on, add{' '}
        <code>-H 'authorization: Bearer pc_…'</code> (an admin token) to the curl command.
      </p>
      <div className="actions">
        <Link className="btn primary" to="/settings/integrations?new=git">Add an integration</Link>
        <Link className="btn" to="/settings/connectors">Connector types</Link>
      </div>
    </div>
  )
}

/** "10 days", "5 hours", "12 minutes". */
export function ageText(ms: number): string {
  const m = Math.max(1, Math.round(ms / 60e3))
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'}`
  const h = Math.round(m / 60)
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'}`
  const d = Math.round(h / 24)
  return `${d} day${d === 1 ? '' : 's'}`
}

/** The smallest `Nd` / `Nh` range that includes an event this old. */
export function sinceCovering(ageMs: number): string {
  // A margin so the event does not slide out of the range a minute later.
  const h = Math.ceil((ageMs + 10 * 60e3) / 3600e3)
  return h <= 48 ? `${h}h` : `${Math.ceil((ageMs + 3600e3) / 86400e3)}d`
}

export function NoMatch({
  filtered,
  newest,
  onShowNewest,
  onWiden,
  onAllTime,
  onClear,
}: {
  filtered: boolean
  /** The newest event matching the filters at any time, when one exists. */
  newest?: PainEvent | null
  onShowNewest: (ev: PainEvent) => void
  onWiden?: () => void
  onAllTime: () => void
  onClear?: () => void
}) {
  const age = newest ? Date.now() - Date.parse(newest.timestamp) : null
  return (
    <div className="state" data-testid="no-match">
      <div className="icon"><Icon name="filter" size={20} /></div>
      <h2>No events match this view</h2>
      {newest && age != null ? (
        <p data-testid="newest-hint">
          {age > 0 ? `The newest ${filtered ? 'matching ' : ''}event is ${ageText(age)} old` : 'The newest event is outside this range'} —{' '}
          <button className="link-btn" onClick={() => onShowNewest(newest)} data-testid="show-newest">show it</button>
        </p>
      ) : (
        <p>{filtered ? 'Try removing a filter or widening the time range.' : 'Nothing happened in this time range. Try a wider one.'}</p>
      )}
      <div className="actions">
        {onWiden && <button className="btn" onClick={onWiden}>Last 30 days</button>}
        <button className="btn" onClick={onAllTime}>All time</button>
        {onClear && <button className="btn primary" onClick={onClear}>Clear all filters</button>}
      </div>
    </div>
  )
}
