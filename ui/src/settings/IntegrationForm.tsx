import { useEffect, useMemo, useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage } from '../api/client'
import { keys } from '../api/hooks'
import type { ConnectorType, Integration } from '../api/types'
import { initialValues, integrationFields, toConfig, validate } from '../lib/schemaForm'
import { SchemaFields } from '../components/SchemaForm'
import { ConnectorMark } from '../components/connectors'
import { Modal } from '../components/ui'
import { testConnection } from './health'
import { ConflictNote } from './ConflictNote'

export function IntegrationForm({
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
  // The version being edited; replaced by "Reload" after a 409 conflict.
  const [base, setBase] = useState(integration)
  const readOnly = integration?.managedBy === 'config'
  const [type, setType] = useState(integration?.type ?? initialType ?? types[0]?.id ?? '')
  const typeRow = types.find((t) => t.id === type)
  const fields = useMemo(() => integrationFields(typeRow?.configSchema), [typeRow])
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
      // If-Match: the server answers 409 `conflict` when the integration
      // changed since this form loaded it (optimistic concurrency).
      if (base)
        return api.put<Integration>(
          `/api/integrations/${encodeURIComponent(base.id)}`,
          { name, config },
          base.updatedAt ? { 'if-match': base.updatedAt } : undefined,
        )
      return api.post<Integration>('/api/integrations', { type, name, config })
    },
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: keys.integrations })
      onClose()
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 409) return
      if (e instanceof ApiError && e.field) setErrors({ [e.field.replace(/^\/?config[./]/, '').replace(/\//g, '.')]: e.message })
    },
  })

  const conflict = !!base && save.error instanceof ApiError && save.error.status === 409
  const reload = async () => {
    const fresh = await api.get<Integration>(`/api/integrations/${encodeURIComponent(base!.id)}`)
    setBase(fresh)
    setValues(initialValues(fields, { name: fresh.name, ...fresh.config }))
    setRawMode(false)
    setErrors({})
    save.reset()
    qc.invalidateQueries({ queryKey: keys.integrations })
  }

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
          {save.error && !conflict && !Object.keys(errors).length && <span className="err-text" style={{ marginRight: 'auto' }} role="alert">{errorMessage(save.error)}</span>}
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
        {conflict && <ConflictNote onReload={reload} />}
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
