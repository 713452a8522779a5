import { useEffect, useMemo, useState } from 'react'
import { NavLink, Navigate, Route, Routes, useSearchParams } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage, getTenant, getToken, setTenant, setToken } from '../api/client'
import { keys, useConnectorTypes, useIntegrations, useTeams, useTokens } from '../api/hooks'
import type { ApiToken, ConnectorType, Integration, Team } from '../api/types'
import { initialValues, normalizeSchema, toConfig, validate, type FormField } from '../lib/schemaForm'
import { SchemaFields, TagInput } from '../components/SchemaForm'
import { ConnectorMark } from '../components/connectors'
import { ConfirmDialog, CopyButton, Icon, Modal, StatusBadge, TimeText } from '../components/ui'
import { absoluteTime, useUtc } from '../lib/time'

export function SettingsPage() {
  return (
    <div className="settings">
      <nav className="side" aria-label="Settings sections">
        <NavLink to="/settings/integrations">Integrations</NavLink>
        <NavLink to="/settings/connectors">Connector types</NavLink>
        <NavLink to="/settings/teams">Teams</NavLink>
        <NavLink to="/settings/tokens">API tokens</NavLink>
        <NavLink to="/settings/access">Access</NavLink>
      </nav>
      <div className="content">
        <div className="content-inner">
          <Routes>
            <Route index element={<Navigate to="integrations" replace />} />
            <Route path="integrations" element={<IntegrationsSection />} />
            <Route path="connectors" element={<ConnectorsSection />} />
            <Route path="teams" element={<TeamsSection />} />
            <Route path="tokens" element={<TokensSection />} />
            <Route path="access" element={<AccessSection />} />
            <Route path="*" element={<Navigate to="integrations" replace />} />
          </Routes>
        </div>
      </div>
    </div>
  )
}

function Unavailable({ error, what }: { error: unknown; what: string }) {
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

// ---------------------------------------------------------------- connector types

const STALE_MS = 3 * 60_000

export function typeLiveness(t: ConnectorType): 'live' | 'stale' | 'unknown' {
  if (t.live === true) return 'live'
  if (t.live === false || t.stale === true) return 'stale'
  if (typeof t.status === 'string') return /live|ok|active/.test(t.status) ? 'live' : 'stale'
  if (t.lastHeartbeat) return Date.now() - Date.parse(t.lastHeartbeat) < STALE_MS ? 'live' : 'stale'
  return 'unknown'
}

function ConnectorsSection() {
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

// ---------------------------------------------------------------- integrations

interface Health {
  state: string
  lastSync?: string | null
  lastError?: string | null
  eventsCollected?: number | null
}

export function integrationHealth(i: Integration): Health {
  const nested =
    (typeof i.status === 'object' && i.status) || i.health || i.connectorStatus || (i.statusInfo as Integration['health']) || null
  let state =
    (nested && nested.state) || i.state || (typeof i.status === 'string' ? i.status : undefined) || 'unknown'
  if (i.enabled === false) state = 'disabled'
  if (i.stale === true || (nested as { stale?: boolean } | null)?.stale === true) state = 'stale'
  const lastSync = nested?.lastSyncAt ?? i.lastSyncAt ?? i.lastSync ?? null
  // The seed's `active` only says the integration is switched on, not that it works.
  if (state === 'active') state = lastSync ? 'ok' : 'waiting'
  return {
    state,
    lastSync,
    lastError: nested?.lastError ?? i.lastError ?? null,
    eventsCollected: nested?.eventsCollected ?? i.eventsCollected ?? null,
  }
}

function IntegrationsSection() {
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

export async function testConnection(id: string): Promise<{ ok: boolean; message: string }> {
  try {
    const r = await api.post<Record<string, unknown>>(`/api/integrations/${encodeURIComponent(id)}/test`, {})
    const ok = r?.ok !== false && r?.success !== false && r?.status !== 'error' && r?.status !== 'failed'
    const msg = (r?.message ?? r?.detail ?? r?.error ?? (ok ? 'Connection OK' : 'Connection failed')) as unknown
    return { ok, message: typeof msg === 'string' ? msg : JSON.stringify(msg) }
  } catch (e) {
    if (e instanceof ApiError && (e.status === 405 || e.status === 501))
      return { ok: false, message: `This server cannot test connections yet (HTTP ${e.status}).` }
    if (e instanceof ApiError && e.status === 404)
      return { ok: false, message: `Test connection unavailable (HTTP 404): ${e.message}` }
    return { ok: false, message: errorMessage(e) }
  }
}

const NAME_FIELD: FormField = { key: 'name', label: 'Name', type: 'text', required: true, placeholder: 'this repo' }
const TAGS_FIELD: FormField = {
  key: 'tags',
  label: 'Tags',
  type: 'string-list',
  required: false,
  help: 'Teams and the tag filter match these.',
}

function IntegrationForm({
  types,
  integration,
  initialType,
  onClose,
}: {
  types: ConnectorType[]
  integration?: Integration
  initialType?: string
  onClose: () => void
}) {
  const qc = useQueryClient()
  const readOnly = integration?.managedBy === 'config'
  const [type, setType] = useState(integration?.type ?? initialType ?? types[0]?.id ?? '')
  const typeRow = types.find((t) => t.id === type)
  const fields = useMemo(() => {
    const f = normalizeSchema(typeRow?.configSchema)
    // The seed contract requires config.name and config.tags: always offer them.
    const out = [...f]
    if (!out.some((x) => x.key === 'tags')) out.push(TAGS_FIELD)
    if (!out.some((x) => x.key === 'name')) out.unshift(NAME_FIELD)
    // Schemas may arrive with keys sorted alphabetically: show the name
    // first, then required fields, simple optional ones, lists, tags, and
    // nested groups last. The sort is stable within each rank.
    const rank = (x: FormField) =>
      x.key === 'name' ? 0 : x.key === 'tags' ? 4 : x.type === 'object' || x.type === 'object-list' || x.type === 'json' ? 5 : x.required ? 1 : x.type === 'string-list' ? 3 : 2
    return out.map((x, i) => [x, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([x]) => x)
  }, [typeRow])
  const [values, setValues] = useState<Record<string, unknown>>(() =>
    initialValues(fields, integration ? { name: integration.name, ...integration.config } : type === 'git' ? { name: 'this repo', path: '.' } : {}),
  )
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [rawMode, setRawMode] = useState(false)
  const [raw, setRaw] = useState('')
  const [test, setTest] = useState<{ ok: boolean; message: string } | 'running' | null>(null)
  useEffect(() => {
    if (!integration) setValues((v) => initialValues(fields, { name: v.name ?? '', tags: v.tags ?? [] , ...(type === 'git' ? { path: '.' } : {}) }))
  }, [fields, integration, type])

  const save = useMutation({
    mutationFn: async (config: Record<string, unknown>) => {
      const name = String(config.name ?? '')
      if (integration) return api.put<Integration>(`/api/integrations/${encodeURIComponent(integration.id)}`, { name, config })
      return api.post<Integration>('/api/integrations', { type, name, config })
    },
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: keys.integrations })
      onClose()
    },
    onError: (e) => {
      if (e instanceof ApiError && e.field) setErrors({ [e.field.replace(/^\/?config[./]/, '').replace(/\//g, '.')]: e.message })
    },
  })

  const submit = () => {
    let config: Record<string, unknown>
    if (rawMode) {
      try {
        config = JSON.parse(raw)
      } catch {
        setErrors({ _raw: 'Not valid JSON' })
        return
      }
    } else {
      const errs = validate(fields, values)
      setErrors(errs)
      if (Object.keys(errs).length) return
      config = toConfig(fields, values)
    }
    if (!Array.isArray(config.tags)) config.tags = []
    save.mutate(config)
  }

  const title = integration ? `${readOnly ? '' : 'Edit '}${integration.name}` : 'Add integration'
  return (
    <Modal
      title={title}
      onClose={onClose}
      labelledBy="integration-form-title"
      footer={
        <>
          {save.error && !Object.keys(errors).length && <span className="err-text" style={{ marginRight: 'auto' }} role="alert">{errorMessage(save.error)}</span>}
          {integration && (
            <button
              type="button"
              className="btn"
              data-testid="test-connection"
              disabled={test === 'running'}
              onClick={async () => {
                setTest('running')
                setTest(await testConnection(integration.id))
              }}
            >
              {test === 'running' ? 'Testing…' : 'Test connection'}
            </button>
          )}
          <button type="button" className="btn" onClick={onClose}>{readOnly ? 'Close' : 'Cancel'}</button>
          {!readOnly && (
            <button type="submit" form="integration-form" className="btn primary" disabled={save.isPending}>
              {integration ? 'Save' : 'Create integration'}
            </button>
          )}
        </>
      }
    >
      <form
        id="integration-form"
        className="form"
        onSubmit={(e) => {
          e.preventDefault()
          submit()
        }}
        noValidate
      >
        {readOnly && (
          <div className="note" data-testid="managed-note">
            This integration is declared in the server’s config file (<code>managedBy: config</code>). Edit that file and
            restart <code>painchain serve</code> to change it.
          </div>
        )}
        {test && test !== 'running' && (
          <div className={`result ${test.ok ? 'ok' : 'bad'}`} data-testid="test-result" role="status">
            {test.ok ? '✓ ' : '✗ '}
            {test.message}
          </div>
        )}
        <div className="field">
          <label htmlFor="integration-type">Connector type</label>
          {integration ? (
            <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
              <ConnectorMark id={type} /> <b>{typeRow?.displayName ?? type}</b>
            </div>
          ) : types.length ? (
            <select id="integration-type" className="select" value={type} onChange={(e) => setType(e.target.value)}>
              {!typeRow && type && <option value={type}>{type} (not registered)</option>}
              {types.map((t) => (
                <option key={t.id} value={t.id}>{t.displayName || t.id}</option>
              ))}
            </select>
          ) : (
            <input id="integration-type" className="input" value={type} onChange={(e) => setType(e.target.value)} placeholder="git" />
          )}
          {typeRow?.description && <span className="help">{typeRow.description}</span>}
        </div>
        {!readOnly && (
          <div className="small" style={{ display: 'flex', justifyContent: 'flex-end', marginBottom: -8 }}>
            <button
              type="button"
              className="btn sm ghost"
              onClick={() => {
                if (!rawMode) setRaw(JSON.stringify(toConfig(fields, values), null, 2))
                else {
                  try {
                    setValues(initialValues(fields, JSON.parse(raw)))
                  } catch {
                    /* keep form values */
                  }
                }
                setRawMode(!rawMode)
              }}
            >
              {rawMode ? 'Edit as form' : 'Edit as JSON'}
            </button>
          </div>
        )}
        {rawMode ? (
          <div className="field">
            <label htmlFor="raw-config">Config (JSON)</label>
            <textarea id="raw-config" className="textarea" style={{ minHeight: 200 }} value={raw} onChange={(e) => setRaw(e.target.value)} />
            {errors._raw && <span className="err-text">{errors._raw}</span>}
          </div>
        ) : (
          <SchemaFields fields={fields} values={values} onChange={setValues} errors={errors} disabled={readOnly} />
        )}
      </form>
    </Modal>
  )
}

// ---------------------------------------------------------------- teams

function TeamsSection() {
  const teams = useTeams()
  const qc = useQueryClient()
  const [editing, setEditing] = useState<Team | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Team | null>(null)
  const del = useMutation({
    mutationFn: (id: string) => api.del(`/api/teams/${encodeURIComponent(id)}`),
    onSuccess: () => {
      setDeleting(null)
      qc.invalidateQueries({ queryKey: keys.teams })
    },
  })
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Teams</h1>
          <p>A team is a named set of tags. Filtering the timeline by a team shows events carrying any of its tags.</p>
        </div>
        <button className="btn primary" onClick={() => setEditing('new')} data-testid="add-team">
          <Icon name="plus" /> New team
        </button>
      </div>
      {teams.error && <Unavailable error={teams.error} what="Teams" />}
      {teams.data && teams.data.length === 0 && <div className="note">No teams yet.</div>}
      {teams.data && teams.data.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Teams">
            <thead>
              <tr>
                <th>Team</th>
                <th>Tags</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {teams.data.map((t) => (
                <tr key={t.id} data-testid="team-row">
                  <td style={{ fontWeight: 600 }}>{t.name}</td>
                  <td>
                    <div className="chips">{t.tags.map((g) => <span key={g} className="chip">{g}</span>)}</div>
                  </td>
                  <td>
                    <div className="actions">
                      <NavLink className="btn sm" to={`/?team=${encodeURIComponent(t.name)}`}>Timeline</NavLink>
                      <button className="btn sm" onClick={() => setEditing(t)} aria-label={`Edit team ${t.name}`}>Edit</button>
                      <button className="btn sm danger" onClick={() => setDeleting(t)} aria-label={`Delete team ${t.name}`}><Icon name="trash" size={12} /></button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && <TeamForm team={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete team “${deleting.name}”?`}
          message={<p>Events are not affected; links filtered by this team stop matching.</p>}
          confirmLabel="Delete team"
          busy={del.isPending}
          error={del.error ? errorMessage(del.error) : null}
          onCancel={() => setDeleting(null)}
          onConfirm={() => del.mutate(deleting.id)}
        />
      )}
    </>
  )
}

function TeamForm({ team, onClose }: { team?: Team; onClose: () => void }) {
  const qc = useQueryClient()
  const [name, setName] = useState(team?.name ?? '')
  const [tags, setTags] = useState<string[]>(team?.tags ?? [])
  const save = useMutation({
    mutationFn: () =>
      team
        ? api.put<Team>(`/api/teams/${encodeURIComponent(team.id)}`, { name: name.trim(), tags })
        : api.post<Team>('/api/teams', { name: name.trim(), tags }),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: keys.teams })
      onClose()
    },
  })
  return (
    <Modal
      title={team ? `Edit team ${team.name}` : 'New team'}
      onClose={onClose}
      labelledBy="team-form-title"
      footer={
        <>
          {save.error && <span className="err-text" style={{ marginRight: 'auto' }} role="alert">{(save.error as ApiError).status === 409 ? 'A team with this name already exists.' : errorMessage(save.error)}</span>}
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="team-form" disabled={!name.trim() || save.isPending}>Save team</button>
        </>
      }
    >
      <form
        id="team-form"
        className="form"
        onSubmit={(e) => {
          e.preventDefault()
          if (name.trim()) save.mutate()
        }}
      >
        <div className="field">
          <label htmlFor="team-name">Name</label>
          <input id="team-name" className="input" value={name} onChange={(e) => setName(e.target.value)} autoFocus placeholder="payments" />
        </div>
        <div className="field">
          <span className="label" id="team-tags-label">Tags</span>
          <TagInput id="team-tags" labelledBy="team-tags-label" values={tags} onChange={setTags} placeholder="payments, checkout… (Enter to add)" />
          <span className="help">Events whose tags — or whose integration’s tags — include any of these belong to the team.</span>
        </div>
      </form>
    </Modal>
  )
}

// ---------------------------------------------------------------- tokens

function TokensSection() {
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
      {tokens.data && tokens.data.length === 0 && <div className="note">No tokens yet.</div>}
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
          <label htmlFor="token-name">Name</label>
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

// ---------------------------------------------------------------- access (this browser)

function AccessSection() {
  const qc = useQueryClient()
  const [token, setTok] = useState(getToken())
  const [tenant, setTen] = useState(getTenant())
  const [saved, setSaved] = useState(false)
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Access</h1>
          <p>For servers with authentication on: paste an API token. It is kept in this browser only and sent as a Bearer token.</p>
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
          {saved && <span className="ok-text" role="status">Saved for this browser.</span>}
        </div>
      </form>
    </>
  )
}
