// Live events from `GET /api/events/stream` (Server-Sent Events). Uses fetch
// + a streaming reader rather than EventSource so the API token and tenant
// headers can be sent; reconnects with backoff.

import { authHeaders } from './client'
import type { PainEvent } from './types'

export type StreamState = 'connecting' | 'open' | 'closed' | 'error'

export interface StreamHandle {
  close(): void
}

/** Parses SSE text; returns the complete messages and the unparsed remainder. */
export function parseSse(buffer: string): { messages: { event: string; data: string; id?: string }[]; rest: string } {
  const messages: { event: string; data: string; id?: string }[] = []
  const norm = buffer.replace(/\r\n?/g, '\n')
  const blocks = norm.split('\n\n')
  const rest = blocks.pop() ?? ''
  for (const block of blocks) {
    let event = 'message'
    let id: string | undefined
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue
      const i = line.indexOf(':')
      const field = i === -1 ? line : line.slice(0, i)
      let value = i === -1 ? '' : line.slice(i + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') event = value
      else if (field === 'data') data.push(value)
      else if (field === 'id') id = value
    }
    if (data.length) messages.push({ event, data: data.join('\n'), id })
  }
  return { messages, rest }
}

export function openEventStream(
  query: string,
  onEvent: (e: PainEvent) => void,
  onState: (s: StreamState) => void,
): StreamHandle {
  let closed = false
  let ctrl: AbortController | null = null
  let attempt = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const connect = async () => {
    if (closed) return
    ctrl = new AbortController()
    onState('connecting')
    try {
      const res = await fetch(`/api/events/stream${query ? `?${query}` : ''}`, {
        headers: { accept: 'text/event-stream', ...authHeaders() },
        signal: ctrl.signal,
        cache: 'no-store',
      })
      if (!res.ok || !res.body) throw new Error(`stream HTTP ${res.status}`)
      attempt = 0
      onState('open')
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buf += value
        const { messages, rest } = parseSse(buf)
        buf = rest
        for (const m of messages) {
          if (m.event !== 'event' && m.event !== 'message') continue
          try {
            const ev = JSON.parse(m.data) as PainEvent
            if (ev && typeof ev === 'object' && ev.id) onEvent(ev)
          } catch {
            /* ignore malformed message */
          }
        }
      }
      if (!closed) throw new Error('stream ended')
    } catch {
      if (closed) return
      onState('error')
      attempt++
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() * 0.5)
      timer = setTimeout(connect, delay)
    }
  }
  connect()
  return {
    close() {
      closed = true
      clearTimeout(timer)
      ctrl?.abort()
      onState('closed')
    },
  }
}
