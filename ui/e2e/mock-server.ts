// A small in-memory stand-in for `painchain serve`, following docs/http-api.md.
// For UI development and screenshots only (`npm run mock`); the e2e suite runs
// against the real binary.

import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'

type Json = Record<string, any>

export function createMockServer(distDir: string) {
  const events: Json[] = []
  const teams: Json[] = []
  const types: Json[] = []
  const integrations: Json[] = []
  const tokens: Json[] = []
  const streams = new Set<{ res: http.ServerResponse; q: URLSearchParams }>()

  const durMs = (s: string) => {
    const m = /^(\d+)([smhdw])$/.exec(s)
    if (!m) return null
    return Number(m[1]) * ({ s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 } as any)[m[2]]
  }

  function matches(e: Json, q: URLSearchParams): boolean {
    const any = (k: string, v: any) => {
      const vals = q.getAll(k)
      return vals.length === 0 || vals.includes(v)
    }
    if (!any('connector', e.connector) || !any('project', e.project) || !any('kind', e.kind) || !any('status', e.status) || !any('environment', e.environment)) return false
    let tags = q.getAll('tag')
    for (const t of q.getAll('team')) {
      const team = teams.find((x) => x.name === t || x.id === t)
      if (team) tags = [...tags, ...team.tags]
    }
    if (tags.length || q.getAll('team').length) {
      const integ = integrations.find((i) => i.id === e.integrationId)
      const all = [...(e.tags ?? []), ...(integ?.config?.tags ?? [])]
      if (!tags.some((t) => all.includes(t))) return false
    }
    const refs = q.getAll('ref')
    if (refs.length && !refs.some((r) => (e.refs ?? []).some((x: Json) => `${x.type}:${x.value}` === r))) return false
    const text = q.get('q')
    if (text) {
      const hay = (e.title + ' ' + JSON.stringify(e.data ?? {})).toLowerCase()
      if (!text.toLowerCase().split(/\s+/).every((w) => hay.includes(w))) return false
    }
    const t = Date.parse(e.timestamp)
    const since = q.get('since')
    if (since && durMs(since) != null && t < Date.now() - durMs(since)!) return false
    if (q.get('startDate') && t < Date.parse(q.get('startDate')!)) return false
    if (q.get('endDate') && t > Date.parse(q.get('endDate')!)) return false
    return true
  }

  function filtered(q: URLSearchParams) {
    return events.filter((e) => matches(e, q)).sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : a.id < b.id ? 1 : -1))
  }

  function page(q: URLSearchParams) {
    const all = filtered(q)
    const limit = Math.min(1000, Number(q.get('limit') ?? 100))
    const start = q.get('cursor') ? Number(Buffer.from(q.get('cursor')!, 'base64url').toString()) : 0
    const slice = all.slice(start, start + limit)
    const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : null
    return { all, slice, next }
  }

  const redact = (i: Json) => ({
    ...i,
    config: Object.fromEntries(
      Object.entries(i.config ?? {}).map(([k, v]) => [k, /token|secret|password/i.test(k) && typeof v === 'string' ? '••••' + v.slice(-4) : v]),
    ),
  })

  function send(res: http.ServerResponse, status: number, body?: unknown, headers: Json = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(body === undefined ? '' : JSON.stringify(body))
  }
  const err = (res: http.ServerResponse, status: number, code: string, message: string, field?: string) =>
    send(res, status, { error: { code, message, field } })

  function readBody(req: http.IncomingMessage): Promise<any> {
    return new Promise((resolve) => {
      let s = ''
      req.on('data', (c) => (s += c))
      req.on('end', () => {
        try {
          resolve(s ? JSON.parse(s) : {})
        } catch {
          resolve(undefined)
        }
      })
    })
  }

  function addEvent(b: Json): Json {
    const e = {
      id: randomUUID(),
      tenantId: 'default',
      title: b.title,
      connector: b.connector,
      project: b.project,
      timestamp: new Date(b.timestamp).toISOString(),
      createdAt: new Date().toISOString(),
      externalId: b.externalId ?? null,
      integrationId: b.integrationId ?? null,
      data: b.data ?? {},
      tags: b.tags ?? [],
      kind: b.kind ?? null,
      status: b.status ?? null,
      url: b.url ?? null,
      actor: b.actor ?? null,
      environment: b.environment ?? null,
      service: b.service ?? null,
      refs: b.refs ?? [],
    }
    events.push(e)
    for (const s of streams) if (matches(e, s.q)) s.res.write(`event: event\ndata: ${JSON.stringify(e)}\n\n`)
    return e
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x')
    const p = url.pathname
    const q = url.searchParams
    const m = req.method!
    try {
      if (p === '/health') return send(res, 200, { status: 'ok' })
      if (p === '/api/events' && m === 'POST') {
        const b = await readBody(req)
        if (!b?.title) return err(res, 400, 'invalid', 'title is required', 'title')
        const e = addEvent(b)
        return send(res, 201, { event_id: e.id, id: e.id, stored_at: e.createdAt, duplicate: false })
      }
      if (p === '/api/events/batch' && m === 'POST') {
        const b = await readBody(req)
        for (const x of b) addEvent(x)
        return send(res, 200, { created: b.length, duplicates: 0, invalid: 0, results: [] })
      }
      if (p === '/api/events' && m === 'GET') {
        const { slice, next } = page(q)
        const h: Json = {}
        if (next) {
          h['x-next-cursor'] = next
          h['link'] = `</api/events?cursor=${next}>; rel="next"`
        }
        return send(res, 200, slice, h)
      }
      if (p === '/api/events/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
        res.write(': connected\n\n')
        const s = { res, q }
        streams.add(s)
        req.on('close', () => streams.delete(s))
        return
      }
      let mm = /^\/api\/events\/([^/]+)$/.exec(p)
      if (mm) {
        const e = events.find((x) => x.id === mm![1])
        return e ? send(res, 200, e) : err(res, 404, 'not_found', 'event not found')
      }
      if (p === '/api/timeline') {
        const { all, slice, next } = page(q)
        const groupBy = q.get('groupBy') === 'connector' ? 'connector' : 'project'
        const groups = new Map<string, number>()
        for (const e of all) groups.set(e[groupBy], (groups.get(e[groupBy]) ?? 0) + 1)
        const since = q.get('since')
        const to = q.get('endDate') ? Date.parse(q.get('endDate')!) : Date.now()
        const from = q.get('startDate') ? Date.parse(q.get('startDate')!) : since && durMs(since) ? Date.now() - durMs(since)! : all.length ? Date.parse(all[all.length - 1].timestamp) : to - 864e5
        const nice = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        const interval = nice.find((n) => (to - from) / 1000 / n <= 100) ?? 86400
        const first = Math.floor(from / 1000 / interval) * interval
        const buckets: Json[] = []
        for (let s = first; s * 1000 <= to; s += interval) buckets.push({ start: new Date(s * 1000).toISOString(), counts: {}, total: 0 })
        for (const e of all) {
          const i = Math.floor((Date.parse(e.timestamp) / 1000 - first) / interval)
          const b = buckets[i]
          if (!b) continue
          b.counts[e.connector] = (b.counts[e.connector] ?? 0) + 1
          b.total++
        }
        return send(res, 200, {
          events: slice,
          total: all.length,
          nextCursor: next,
          groupBy,
          groups: [...groups].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count),
          stackBy: 'connector',
          interval,
          buckets,
        })
      }
      if (p === '/api/projects') {
        const m2 = new Map<string, Json>()
        for (const e of events) {
          const x = m2.get(e.project) ?? { id: e.project, name: e.project, connector: e.connector, connectors: [], tags: [], eventCount: 0, lastEventAt: null, createdAt: e.createdAt }
          if (!x.connectors.includes(e.connector)) x.connectors.push(e.connector)
          x.eventCount++
          m2.set(e.project, x)
        }
        return send(res, 200, [...m2.values()])
      }
      if (p === '/api/teams' && m === 'GET') return send(res, 200, teams)
      if (p === '/api/teams' && m === 'POST') {
        const b = await readBody(req)
        if (teams.some((t) => t.name === b.name)) return err(res, 409, 'conflict', 'team exists')
        const t = { id: randomUUID(), name: b.name, tags: b.tags ?? [], createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), tenantId: 'default' }
        teams.push(t)
        return send(res, 201, t)
      }
      mm = /^\/api\/teams\/([^/]+)$/.exec(p)
      if (mm) {
        const i = teams.findIndex((t) => t.id === mm![1])
        if (i < 0) return err(res, 404, 'not_found', 'team not found')
        if (m === 'DELETE') return (teams.splice(i, 1), send(res, 204))
        if (m === 'PUT') Object.assign(teams[i], await readBody(req))
        return send(res, 200, teams[i])
      }
      if (p === '/api/tokens' && m === 'GET') return send(res, 200, tokens)
      if (p === '/api/tokens' && m === 'POST') {
        const b = await readBody(req)
        const secret = 'pc_' + randomUUID().replace(/-/g, '')
        const t = { id: randomUUID(), tenantId: 'default', name: b.name, scope: b.scope, prefix: secret.slice(0, 10), createdAt: new Date().toISOString(), lastUsedAt: null }
        tokens.push(t)
        return send(res, 201, { ...t, token: secret })
      }
      mm = /^\/api\/tokens\/([^/]+)$/.exec(p)
      if (mm && m === 'DELETE') {
        const i = tokens.findIndex((t) => t.id === mm![1])
        if (i >= 0) tokens.splice(i, 1)
        return send(res, 204)
      }
      if (p === '/api/integrations/types/register' && m === 'POST') {
        const b = await readBody(req)
        const i = types.findIndex((t) => t.id === b.id)
        const row = { ...b, registeredAt: new Date().toISOString(), lastHeartbeat: new Date().toISOString() }
        if (i >= 0) types[i] = row
        else types.push(row)
        return send(res, 200, { id: b.id, displayName: b.displayName, registered: true })
      }
      if (p === '/api/integrations/types') return send(res, 200, types)
      if (p === '/api/integrations' && m === 'GET') return send(res, 200, integrations.filter((i) => !q.get('type') || i.type === q.get('type')).map(redact))
      if (p === '/api/integrations' && m === 'POST') {
        const b = await readBody(req)
        const row = { id: randomUUID(), tenantId: 'default', type: b.type, name: b.name, config: b.config, status: 'active', enabled: true, managedBy: null, lastSync: null, registeredAt: new Date().toISOString(), updatedAt: new Date().toISOString() }
        integrations.push(row)
        return send(res, 201, row)
      }
      mm = /^\/api\/integrations\/([^/]+)(\/test)?$/.exec(p)
      if (mm) {
        if (mm[2]) return err(res, 501, 'not_implemented', 'connection tests are not implemented')
        const i = integrations.findIndex((x) => x.id === mm![1])
        if (i < 0) return err(res, 404, 'not_found', 'integration not found')
        if (m === 'DELETE') return (integrations.splice(i, 1), send(res, 204))
        if (m === 'PUT') {
          // Optimistic concurrency, as the real server: If-Match must name the current updatedAt.
          const ifMatch = req.headers['if-match']
          if (ifMatch && ifMatch !== integrations[i].updatedAt) return err(res, 409, 'conflict', 'the integration changed since it was read')
          Object.assign(integrations[i], await readBody(req), { updatedAt: new Date(Math.max(Date.now(), Date.parse(String(integrations[i].updatedAt)) + 1)).toISOString() })
        }
        return send(res, 200, redact(integrations[i]))
      }
      mm = /^\/api\/integrations\/([^/]+)\/sync$/.exec(p)
      if (mm) return send(res, 202, { queued: true, live: false, message: 'sync queued' })
      if (p.startsWith('/api/')) return err(res, 404, 'not_found', `no route ${p}`)
      // static UI
      const file = path.join(distDir, p)
      if (p !== '/' && file.startsWith(distDir) && fs.existsSync(file) && fs.statSync(file).isFile()) {
        const ext = path.extname(file)
        res.writeHead(200, { 'content-type': ({ '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.html': 'text/html' } as Json)[ext] ?? 'application/octet-stream' })
        return res.end(fs.readFileSync(file))
      }
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(fs.readFileSync(path.join(distDir, 'index.html')))
    } catch (e) {
      err(res, 500, 'internal', String(e))
    }
  })
  return {
    server,
    close: () => {
      for (const s of streams) s.res.end()
      server.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 8017)
  const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../dist')
  createMockServer(dist).server.listen(port, '127.0.0.1', () => console.log(`mock painchain on http://127.0.0.1:${port}`))
}
