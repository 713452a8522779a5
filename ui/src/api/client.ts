// Thin fetch wrapper: adds the optional API token (sessionStorage) and tenant
// (localStorage), turns the server's `{error: {code, message, field}}` into an ApiError.

const TOKEN_KEY = 'painchain.token'
const TENANT_KEY = 'painchain.tenant'

// The API token lives in sessionStorage, not localStorage: it is gone when the
// tab closes instead of sitting on disk indefinitely, and it is not shared
// with every other tab and later session of this origin. (Any script running
// in the page could still read it — the Content-Security-Policy in index.html
// is what keeps foreign scripts out.) A token left in localStorage by an
// older version is moved over once and deleted there.
function migrateToken() {
  try {
    const old = localStorage.getItem(TOKEN_KEY)
    if (old !== null) {
      if (!sessionStorage.getItem(TOKEN_KEY) && old) sessionStorage.setItem(TOKEN_KEY, old)
      localStorage.removeItem(TOKEN_KEY)
    }
  } catch {
    /* storage unavailable */
  }
}
migrateToken()

export function getToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? ''
  } catch {
    return ''
  }
}

export function setToken(token: string) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token)
    else sessionStorage.removeItem(TOKEN_KEY)
    localStorage.removeItem(TOKEN_KEY)
  } catch {
    /* storage unavailable: the token lasts until reload */
  }
}

export function getTenant(): string {
  try {
    return localStorage.getItem(TENANT_KEY) ?? ''
  } catch {
    return ''
  }
}

export function setTenant(tenant: string) {
  if (tenant) localStorage.setItem(TENANT_KEY, tenant)
  else localStorage.removeItem(TENANT_KEY)
}

export class ApiError extends Error {
  status: number
  code: string
  field?: string
  details?: unknown
  constructor(status: number, code: string, message: string, field?: string, details?: unknown) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    this.details = details
  }
  /** The server does not have this endpoint (yet). */
  get notAvailable() {
    return this.status === 404 || this.status === 405 || this.status === 501
  }
  get network() {
    return this.status === 0
  }
}

export function authHeaders(): Record<string, string> {
  const h: Record<string, string> = {}
  const token = getToken()
  if (token) h['authorization'] = `Bearer ${token}`
  const tenant = getTenant()
  if (tenant) h['x-tenant-id'] = tenant
  return h
}

export interface ApiResponse<T> {
  data: T
  headers: Headers
  status: number
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
  extraHeaders?: Record<string, string>,
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(), ...extraHeaders }
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'The PainChain server cannot be reached.')
  }
  const text = await res.text()
  let json: unknown = undefined
  if (text) {
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; field?: string; details?: unknown } } | undefined)
      ?.error
    const message =
      err?.message ??
      (res.status === 401
        ? 'This server requires an API token.'
        : res.status === 403
          ? 'Your API token does not allow this.'
          : `HTTP ${res.status} ${res.statusText}`.trim())
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, message, err?.field, err?.details ?? json)
  }
  return { data: json as T, headers: res.headers, status: res.status }
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal).then((r) => r.data),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}).then((r) => r.data),
  put: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>('PUT', path, body, undefined, headers).then((r) => r.data),
  del: (path: string) => request<unknown>('DELETE', path).then(() => undefined),
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error) return e.message
  return String(e)
}
