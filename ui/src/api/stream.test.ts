import { describe, expect, it } from 'vitest'
import { parseSse } from './stream'

describe('SSE parsing', () => {
  it('splits messages and keeps the partial tail', () => {
    const { messages, rest } = parseSse('event: event\ndata: {"id":"1"}\n\n: keep-alive\n\nevent: event\ndata: {"id"')
    expect(messages).toEqual([{ event: 'event', data: '{"id":"1"}', id: undefined }])
    expect(rest).toBe('event: event\ndata: {"id"')
  })
  it('joins multi-line data and handles CRLF', () => {
    const { messages } = parseSse('data: a\r\ndata: b\r\n\r\n')
    expect(messages[0]).toMatchObject({ event: 'message', data: 'a\nb' })
  })
})
