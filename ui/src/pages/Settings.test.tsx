import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, render, screen, waitFor, within, fireEvent } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { MemoryRouter, Route, Routes } from 'react-router'
import { SettingsPage, integrationHealth, typeLiveness } from './Settings'

type Handler = (url: string, init?: RequestInit) => { status: number; body?: unknown }

function stubFetch(handler: Handler) {
  const calls: { url: string; method: string; body?: unknown }[] = []
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    calls.push({ url, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : undefined })
    const r = handler(url, init)
    return new Response(r.body === undefined ? '' : JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } })
  })
  return calls
}

function renderAt(path: string) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  return render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/settings/*" element={<SettingsPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

afterEach(() => vi.unstubAllGlobals())

const gitType = {
  id: 'git',
  displayName: 'Local git',
  live: true,
  configSchema: {
    type: 'object',
    required: ['path'],
    properties: { path: { type: 'string', title: 'Repository path' }, branches: { type: 'array', items: { type: 'string' } } },
  },
}

describe('settings: integrations', () => {
  it('config-managed integrations are read-only with a note', async () => {
    stubFetch((url) => {
      if (url === '/api/integrations/types') return { status: 200, body: [gitType] }
      if (url === '/api/integrations')
        return {
          status: 200,
          body: [
            { id: 'i1', type: 'git', name: 'from yaml', config: { name: 'from yaml', tags: [], path: '/srv/repo' }, managedBy: 'config', status: 'active', connectorStatus: { state: 'ok', eventsCollected: 12, lastSyncAt: new Date().toISOString() } },
          ],
        }
      return { status: 404, body: { error: { code: 'not_found', message: 'no' } } }
    })
    renderAt('/settings/integrations')
    const row = await screen.findByTestId('integration-row')
    expect(within(row).getByText(/managed by config/)).toBeTruthy()
    expect(within(row).queryByRole('button', { name: /Delete/ })).toBeNull()
    expect(within(row).getByText('12')).toBeTruthy()
    fireEvent.click(within(row).getByRole('button', { name: 'View from yaml' }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByTestId('managed-note')).toBeTruthy()
    expect((within(dialog).getByLabelText(/Repository path/) as HTMLInputElement).disabled).toBe(true)
    expect(within(dialog).queryByRole('button', { name: 'Save' })).toBeNull()
  })

  it('creates an integration from the JSON Schema form, with server field errors shown', async () => {
    let attempts = 0
    const calls = stubFetch((url, init) => {
      if (url === '/api/integrations/types') return { status: 200, body: [gitType] }
      if (url === '/api/integrations' && (init?.method ?? 'GET') === 'GET') return { status: 200, body: [] }
      if (url === '/api/integrations' && init?.method === 'POST') {
        attempts++
        return attempts === 1
          ? { status: 400, body: { error: { code: 'invalid_config', message: 'path does not exist', field: 'config.path' } } }
          : { status: 201, body: { id: 'new' } }
      }
      return { status: 404 }
    })
    renderAt('/settings/integrations?new=git')
    const dialog = await screen.findByRole('dialog', { name: 'Add integration' })
    const path = (await within(dialog).findByLabelText(/Repository path/)) as HTMLInputElement
    expect(path.value).toBe('.')
    fireEvent.change(path, { target: { value: '/nope' } })
    const branches = dialog.querySelector('#f-branches') as HTMLInputElement
    fireEvent.change(branches, { target: { value: 'main' } })
    fireEvent.keyDown(branches, { key: 'Enter' })
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create integration' }))
    await within(dialog).findByText('path does not exist')
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.body).toEqual({ type: 'git', name: 'this repo', config: { name: 'this repo', path: '/nope', branches: ['main'], tags: [] } })
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create integration' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
  })

  it('a 409 conflict on save says someone else changed it and reloads the current version', async () => {
    let current = { id: 'i1', type: 'git', name: 'repo', config: { name: 'repo', tags: [], path: '/a' }, updatedAt: '2026-01-01T00:00:00Z' }
    let headers: Record<string, string> = {}
    stubFetch((url, init) => {
      const m = init?.method ?? 'GET'
      if (url === '/api/integrations/types') return { status: 200, body: [gitType] }
      if (url === '/api/integrations' && m === 'GET') return { status: 200, body: [current] }
      if (url === '/api/integrations/i1' && m === 'GET') return { status: 200, body: current }
      if (url === '/api/integrations/i1' && m === 'PUT') {
        headers = init?.headers as Record<string, string>
        if (headers['if-match'] !== current.updatedAt) return { status: 409, body: { error: { code: 'conflict', message: 'changed meanwhile' } } }
        return { status: 200, body: current }
      }
      return { status: 404 }
    })
    renderAt('/settings/integrations')
    const row = await screen.findByTestId('integration-row')
    fireEvent.click(within(row).getByRole('button', { name: 'Edit repo' }))
    const dialog = await screen.findByRole('dialog')
    // meanwhile, someone else saves
    current = { ...current, config: { ...current.config, path: '/b' }, updatedAt: '2026-01-02T00:00:00Z' }
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }))
    const note = await within(dialog).findByTestId('conflict-note')
    expect(note.textContent).toMatch(/changed by someone else/)
    expect(headers['if-match']).toBe('2026-01-01T00:00:00Z')
    fireEvent.click(within(dialog).getByTestId('conflict-reload'))
    await waitFor(() => expect((within(dialog).getByLabelText(/Repository path/) as HTMLInputElement).value).toBe('/b'))
    expect(within(dialog).queryByTestId('conflict-note')).toBeNull()
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(headers['if-match']).toBe('2026-01-02T00:00:00Z')
  })

  it('the integration form labels the name "Integration name" and list hints match the chip input', async () => {
    stubFetch((url) => {
      if (url === '/api/integrations/types')
        return { status: 200, body: [{ ...gitType, configSchema: { ...gitType.configSchema, properties: { ...gitType.configSchema.properties, name: { type: 'string', title: 'Connection Name' }, branches: { type: 'array', items: { type: 'string' }, description: 'Branches, comma separated' } } } }] }
      if (url === '/api/integrations') return { status: 200, body: [] }
      return { status: 404 }
    })
    renderAt('/settings/integrations?new=git')
    const dialog = await screen.findByRole('dialog', { name: 'Add integration' })
    expect(await within(dialog).findByLabelText(/Integration name/)).toBeTruthy()
    expect(within(dialog).queryByText(/comma separated/)).toBeNull()
    expect(within(dialog).getAllByText(/press Enter \(or a comma\) to add it/).length).toBeGreaterThan(0)
  })

  it('empty teams and tokens explain what they are for, with an example', async () => {
    stubFetch((url) => (url === '/api/teams' || url === '/api/tokens' ? { status: 200, body: [] } : { status: 404 }))
    renderAt('/settings/teams')
    const teams = await screen.findByTestId('empty-teams')
    expect(teams.textContent).toMatch(/payments/)
    expect(teams.textContent).toMatch(/tag/)
    cleanup()
    renderAt('/settings/tokens')
    const tokens = await screen.findByTestId('empty-tokens')
    expect(tokens.textContent).toMatch(/Authorization: Bearer/)
  })

  it('endpoints the server lacks are reported, not crashed on', async () => {
    stubFetch(() => ({ status: 404, body: { error: { code: 'not_found', message: 'no route' } } }))
    renderAt('/settings/tokens')
    expect((await screen.findByTestId('unavailable')).textContent).toMatch(/not available on this server yet \(HTTP 404\)/)
  })
})

describe('status helpers', () => {
  it('integration health from the connector status', () => {
    expect(integrationHealth({ id: 'a', type: 't', name: 'n', config: {}, status: 'active' }).state).toBe('waiting')
    expect(integrationHealth({ id: 'a', type: 't', name: 'n', config: {}, status: 'error', connectorStatus: { state: 'error', lastError: 'boom' } })).toMatchObject({ state: 'error', lastError: 'boom' })
    expect(integrationHealth({ id: 'a', type: 't', name: 'n', config: {}, connectorStatus: { state: 'ok', stale: true } as never }).state).toBe('stale')
    expect(integrationHealth({ id: 'a', type: 't', name: 'n', config: {}, enabled: false }).state).toBe('disabled')
  })
  it('type liveness', () => {
    expect(typeLiveness({ id: 'x', live: true })).toBe('live')
    expect(typeLiveness({ id: 'x', live: false })).toBe('stale')
    expect(typeLiveness({ id: 'x', lastHeartbeat: new Date().toISOString() })).toBe('live')
    expect(typeLiveness({ id: 'x', lastHeartbeat: '2020-01-01T00:00:00Z' })).toBe('stale')
  })
})
