import { useEffect, useState } from 'react'
import { useSearchParams } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { keys, useConnectorTypes, useIntegrations } from '../api/hooks'
import type { Integration } from '../api/types'
import { ConnectorMark } from '../components/connectors'
import { ConfirmDialog, Icon, StatusBadge, TimeText } from '../components/ui'
import { absoluteTime, useUtc } from '../lib/time'
import { Unavailable } from './common'
import { integrationHealth, testConnection } from './health'
import { IntegrationForm } from './IntegrationForm'
export function IntegrationsSection() {
  const integrations = useIntegrations()
  const types = useConnectorTypes()
  const qc = useQueryClient()
  const [params, setParams] = useSearchParams()
  const [editing, setEditing] = useState<{ integration?: Integration; type?: string } | null>(null)
  const [deleting, setDeleting] = useState<Integration | null>(null)
  const [tests, setTests] = useState<Record<string, { ok: boolean; message: string } | 'running'>>({})
  const utc = useUtc()

  useEffect(() => {
    const t = params.get('new')
    if (t !== null) {
      setEditing({ type: t || undefined })
      params.delete('new')
      setParams(params, { replace: true })
    }
  }, [params, setParams])

  const del = useMutation({
    mutationFn: (id: string) => api.del(`/api/integrations/${encodeURIComponent(id)}`),
    onSuccess: () => {
      setDeleting(null)
      qc.invalidateQueries({ queryKey: keys.integrations })
    },
  })

  const [notes, setNotes] = useState<Record<string, { ok: boolean; message: string }>>({})
  const syncNow = async (i: Integration) => {
    try {
      const r = await api.post<{ message?: string }>(`/api/integrations/${encodeURIComponent(i.id)}/sync`, {})
      setNotes((n) => ({ ...n, [i.id]: { ok: true, message: r?.message ?? 'Sync requested' } }))
    } catch (e) {
      setNotes((n) => ({ ...n, [i.id]: { ok: false, message: errorMessage(e) } }))
    }
  }
  const setEnabled = async (i: Integration, enabled: boolean) => {
    try {
      await api.put(`/api/integrations/${encodeURIComponent(i.id)}`, { enabled })
      qc.invalidateQueries({ queryKey: keys.integrations })
    } catch (e) {
      setNotes((n) => ({ ...n, [i.id]: { ok: false, message: errorMessage(e) } }))
    }
  }

  const runTest = async (i: Integration) => {
    setTests((t) => ({ ...t, [i.id]: 'running' }))
    const r = await testConnection(i.id)
    setTests((t) => ({ ...t, [i.id]: r }))
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Integrations</h1>
          <p>Configured instances of a connector: which repository, cluster or account to collect changes from.</p>
        </div>
        <button className="btn primary" onClick={() => setEditing({})} data-testid="add-integration">
          <Icon name="plus" /> Add integration
        </button>
      </div>
      {integrations.isLoading && <div className="skel" style={{ height: 120 }} />}
      {integrations.error && <Unavailable error={integrations.error} what="Integrations" />}
      {integrations.data && integrations.data.length === 0 && (
        <div className="card" style={{ padding: 18 }}>
          <b>No integrations yet.</b>
          <p className="muted">
            The quickest start is the local <code>git</code> connector on the repository you run PainChain from — no token needed.
          </p>
          <button className="btn" onClick={() => setEditing({ type: 'git' })}>Add this repository (git)</button>
        </div>
      )}
      {integrations.data && integrations.data.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Integrations">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Last sync</th>
                <th>Events</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {integrations.data.map((i) => {
                const h = integrationHealth(i)
                const managed = i.managedBy === 'config'
                const test = tests[i.id]
                return (
                  <tr key={i.id} data-testid="integration-row" data-integration-id={i.id}>
                    <td>
                      <div style={{ display: 'flex', gap: 10, alignItems: 'center' }}>
                        <ConnectorMark id={i.type} />
                        <div style={{ minWidth: 0 }}>
                          <div style={{ fontWeight: 600 }}>{i.name}</div>
                          <div className="faint small">
                            {i.type}
                            {managed && <> · <span title="Declared in the config file; edit the file to change it">managed by config</span></>}
                          </div>
                        </div>
                      </div>
                      {h.lastError && <div className="err-text" style={{ marginTop: 4 }}>{h.lastError}</div>}
                      {notes[i.id] && (
                        <div className={`result ${notes[i.id].ok ? 'ok' : 'bad'}`} style={{ marginTop: 6 }} role="status" data-testid="row-note">
                          {notes[i.id].message}
                        </div>
                      )}
                      {test && test !== 'running' && (
                        <div className={`result ${test.ok ? 'ok' : 'bad'}`} style={{ marginTop: 6 }} data-testid="test-result" role="status">
                          {test.ok ? '✓ ' : '✗ '}
                          {test.message}
                        </div>
                      )}
                    </td>
                    <td><StatusBadge status={h.state} /></td>
                    <td className="small">{h.lastSync ? <span title={absoluteTime(h.lastSync, utc)}><TimeText iso={h.lastSync} /></span> : <span className="faint">never</span>}</td>
                    <td className="small">{h.eventsCollected ?? <span className="faint">—</span>}</td>
                    <td>
                      <div className="actions">
                        {!managed && (
                          <label className="toggle" title={i.enabled === false ? 'Collection is off' : 'Collection is on'}>
                            <input
                              type="checkbox"
                              checked={i.enabled !== false}
                              onChange={(e) => setEnabled(i, e.target.checked)}
                              aria-label={`Collect events for ${i.name}`}
                            />
                            On
                          </label>
                        )}
                        <button className="btn sm" onClick={() => syncNow(i)} aria-label={`Sync ${i.name} now`} title="Collect now">
                          Sync
                        </button>
                        <button className="btn sm" onClick={() => runTest(i)} disabled={test === 'running'} aria-label={`Test connection for ${i.name}`}>
                          {test === 'running' ? 'Testing…' : 'Test'}
                        </button>
                        <button className="btn sm" onClick={() => setEditing({ integration: i })} aria-label={`${managed ? 'View' : 'Edit'} ${i.name}`}>
                          {managed ? 'View' : 'Edit'}
                        </button>
                        {!managed && (
                          <button className="btn sm danger" onClick={() => setDeleting(i)} aria-label={`Delete ${i.name}`}>
                            <Icon name="trash" size={12} />
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
      {editing && (
        <IntegrationForm
          types={types.data ?? []}
          integration={editing.integration}
          initialType={editing.type}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          message={<p>Collection stops. Events already collected stay on the timeline.</p>}
          confirmLabel="Delete integration"
          busy={del.isPending}
          error={del.error ? errorMessage(del.error) : null}
          onCancel={() => setDeleting(null)}
          onConfirm={() => del.mutate(deleting.id)}
        />
      )}
    </>
  )
}
