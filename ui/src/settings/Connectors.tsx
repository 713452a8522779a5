import { useConnectorTypes } from '../api/hooks'
import type { ConnectorType } from '../api/types'
import { ConnectorMark } from '../components/connectors'
import { TimeText } from '../components/ui'
import { Unavailable } from './common'
const STALE_MS = 3 * 60_000

export function typeLiveness(t: ConnectorType): 'live' | 'stale' | 'unknown' {
  if (t.live === true) return 'live'
  if (t.live === false || t.stale === true) return 'stale'
  if (typeof t.status === 'string') return /live|ok|active/.test(t.status) ? 'live' : 'stale'
  if (t.lastHeartbeat) return Date.now() - Date.parse(t.lastHeartbeat) < STALE_MS ? 'live' : 'stale'
  return 'unknown'
}

export function ConnectorsSection() {
  const types = useConnectorTypes()
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Connector types</h1>
          <p>Connectors register their type with the server; each type can serve any number of integrations.</p>
        </div>
      </div>
      {types.isLoading && <div className="skel" style={{ height: 80 }} />}
      {types.error && <Unavailable error={types.error} what="Connector types" />}
      {types.data && types.data.length === 0 && (
        <div className="note">No connector has registered yet. Connectors register on start (<code>POST /api/integrations/types/register</code>).</div>
      )}
      <div className="cards">
        {(types.data ?? []).map((t) => {
          const l = typeLiveness(t)
          return (
            <div className="card type-card" key={t.id} data-testid="type-card">
              <ConnectorMark id={t.id} size="lg" />
              <div style={{ minWidth: 0 }}>
                <h3>
                  {t.displayName || t.id}
                  <span className={`badge ${l === 'live' ? 'success' : l === 'stale' ? 'warning' : ''}`}>{l}</span>
                </h3>
                <div className="sub">{t.id}</div>
                {t.description && <p>{t.description}</p>}
                {t.lastHeartbeat && (
                  <p className="faint small">Last heartbeat <TimeText iso={t.lastHeartbeat} /></p>
                )}
              </div>
            </div>
          )
        })}
      </div>
    </>
  )
}
