import { api, ApiError, errorMessage } from '../api/client'
import type { Integration } from '../api/types'
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
