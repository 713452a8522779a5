import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { getTenant, getToken, setTenant, setToken } from '../api/client'
export function AccessSection() {
  const qc = useQueryClient()
  const [token, setTok] = useState(getToken())
  const [tenant, setTen] = useState(getTenant())
  const [saved, setSaved] = useState(false)
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Access</h1>
          <p>For servers with authentication on: paste an API token. It is kept for this tab only (sessionStorage — closing the tab forgets it) and sent as a Bearer token.</p>
        </div>
      </div>
      <form
        className="card form"
        style={{ padding: 18, maxWidth: 560 }}
        onSubmit={(e) => {
          e.preventDefault()
          setToken(token.trim())
          setTenant(tenant.trim())
          setSaved(true)
          qc.invalidateQueries()
        }}
      >
        <div className="field">
          <label htmlFor="access-token">API token</label>
          <input id="access-token" className="input" type="password" value={token} onChange={(e) => { setTok(e.target.value); setSaved(false) }} placeholder="pc_…" autoComplete="off" />
          <span className="help">Create one with <code>painchain token create --name me --scope read</code> or in API tokens.</span>
        </div>
        <div className="field">
          <label htmlFor="access-tenant">Tenant (optional)</label>
          <input id="access-tenant" className="input" value={tenant} onChange={(e) => { setTen(e.target.value); setSaved(false) }} placeholder="default" />
          <span className="help">Sent as <code>x-tenant-id</code>. With auth on, the token’s tenant wins.</span>
        </div>
        <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
          <button className="btn primary" type="submit">Save</button>
          <button className="btn" type="button" onClick={() => { setTok(''); setTen(''); setToken(''); setTenant(''); setSaved(true); qc.invalidateQueries() }}>Forget</button>
          {saved && <span className="ok-text" role="status">Saved for this tab.</span>}
        </div>
      </form>
    </>
  )
}
