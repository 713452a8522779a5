import { NavLink } from 'react-router'
import { ApiError, errorMessage } from '../api/client'
export function Unavailable({ error, what }: { error: unknown; what: string }) {
  const e = error as ApiError
  if (e instanceof ApiError && e.notAvailable)
    return <div className="note warn" data-testid="unavailable">{what} is not available on this server yet (HTTP {e.status}).</div>
  if (e instanceof ApiError && (e.status === 401 || e.status === 403))
    return (
      <div className="note warn">
        {e.message} <NavLink to="/settings/access">Set an API token</NavLink>
      </div>
    )
  return <div className="note warn" role="alert">Could not load {what.toLowerCase()}: {errorMessage(error)}</div>
}
