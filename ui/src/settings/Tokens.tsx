import { useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { keys, useTokens } from '../api/hooks'
import type { ApiToken } from '../api/types'
import { ConfirmDialog, CopyButton, Icon, Modal, TimeText } from '../components/ui'
import { Unavailable } from './common'
export function TokensSection() {
  const tokens = useTokens()
  const qc = useQueryClient()
  const [creating, setCreating] = useState(false)
  const [created, setCreated] = useState<ApiToken | null>(null)
  const [revoking, setRevoking] = useState<ApiToken | null>(null)
  const revoke = useMutation({
    mutationFn: (id: string) => api.del(`/api/tokens/${encodeURIComponent(id)}`),
    onSuccess: () => {
      setRevoking(null)
      qc.invalidateQueries({ queryKey: keys.tokens })
    },
  })
  return (
    <>
      <div className="page-head">
        <div>
          <h1>API tokens</h1>
          <p>Tokens for connectors, CI and scripts. Scopes: <b>read</b> &lt; <b>ingest</b> &lt; <b>admin</b>. The secret is shown once.</p>
        </div>
        <button className="btn primary" onClick={() => setCreating(true)} data-testid="add-token">
          <Icon name="plus" /> Create token
        </button>
      </div>
      {tokens.error && <Unavailable error={tokens.error} what="API tokens" />}
      {tokens.data && tokens.data.length === 0 && (
        <div className="card empty-card" data-testid="empty-tokens">
          <b>No tokens yet.</b>
          <p className="muted">
            A token lets something other than this browser use the API: a connector sending events (<b>ingest</b>), a
            dashboard or script reading them (<b>read</b>), or automation managing integrations (<b>admin</b>). Each has a
            name so you can see where it is used and revoke just that one.
          </p>
          <p className="muted">Example: a CI job reporting its deploys, with an <b>ingest</b> token named <code>ci</code>:</p>
          <pre className="code">{`curl -X POST $PAINCHAIN_URL/api/events \\
  -H "Authorization: Bearer $PAINCHAIN_TOKEN" -H 'content-type: application/json' \\
  -d '{"title":"Deployed api v1.4.2","connector":"ci","project":"acme/api","timestamp":"'$(date -u +%FT%TZ)'","kind":"service.deployed","environment":"production"}'`}</pre>
          <button className="btn" onClick={() => setCreating(true)}>Create a token</button>
        </div>
      )}
      {tokens.data && tokens.data.length > 0 && (
        <div className="card">
          <table className="table" aria-label="API tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Scope</th>
                <th>Prefix</th>
                <th>Created</th>
                <th>Last used</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-testid="token-row">
                  <td style={{ fontWeight: 600 }}>{t.name}</td>
                  <td><span className="chip">{t.scope}</span></td>
                  <td><code>{t.prefix ?? '—'}</code></td>
                  <td className="small">{t.createdAt ? <TimeText iso={t.createdAt} /> : '—'}</td>
                  <td className="small">{t.lastUsedAt ? <TimeText iso={t.lastUsedAt} /> : <span className="faint">never</span>}</td>
                  <td>
                    <div className="actions">
                      <button className="btn sm danger" onClick={() => setRevoking(t)} aria-label={`Revoke token ${t.name}`}>Revoke</button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <TokenForm
          onClose={() => setCreating(false)}
          onCreated={(t) => {
            setCreating(false)
            setCreated(t)
          }}
        />
      )}
      {created && (
        <Modal title="Token created" onClose={() => setCreated(null)} labelledBy="token-created-title" footer={<button className="btn primary" onClick={() => setCreated(null)}>Done</button>}>
          <p>Copy <b>{created.name}</b> now — it will not be shown again.</p>
          <div className="secret-box">
            <code data-testid="new-token">{created.token}</code>
            <span className="sha" style={{ background: 'none' }}><CopyButton text={created.token ?? ''} label="Copy token" /></span>
          </div>
        </Modal>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          message={<p>Anything using this token stops working immediately.</p>}
          confirmLabel="Revoke token"
          busy={revoke.isPending}
          error={revoke.error ? errorMessage(revoke.error) : null}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id)}
        />
      )}
    </>
  )
}

function TokenForm({ onClose, onCreated }: { onClose: () => void; onCreated: (t: ApiToken) => void }) {
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [scope, setScope] = useState('read')
  const create = useMutation({
    mutationFn: () => api.post<ApiToken>('/api/tokens', { name: name.trim(), scope }),
    onSuccess: (t) => {
      qc.invalidateQueries({ queryKey: keys.tokens })
      onCreated(t)
    },
  })
  return (
    <Modal
      title="Create API token"
      onClose={onClose}
      labelledBy="token-form-title"
      footer={
        <>
          {create.error && <span className="err-text" style={{ marginRight: 'auto' }} role="alert">{errorMessage(create.error)}</span>}
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="token-form" disabled={!name.trim() || create.isPending}>Create</button>
        </>
      }
    >
      <form id="token-form" className="form" onSubmit={(e) => { e.preventDefault(); if (name.trim()) create.mutate() }}>
        <div className="field">
          <label htmlFor="token-name">Token name</label>
          <input id="token-name" className="input" value={name} onChange={(e) => setName(e.target.value)} autoFocus placeholder="ci" />
        </div>
        <div className="field">
          <label htmlFor="token-scope">Scope</label>
          <select id="token-scope" className="select" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="read">read — view events</option>
            <option value="ingest">ingest — send events (connectors, CI)</option>
            <option value="admin">admin — everything</option>
          </select>
        </div>
      </form>
    </Modal>
  )
}
