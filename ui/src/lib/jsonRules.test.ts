import { describe, expect, it } from 'vitest'
import { detectKind, humanizeKey, isFlatObjectArray, isSha, isStatusValue, isTimestamp, isUserKey, shortSha, statusTone, summarize } from './jsonRules'

describe('JSON renderer rules', () => {
  it('URLs become links', () => {
    expect(detectKind('html_url', 'https://github.com/acme/api/pull/42')).toBe('url')
    expect(detectKind('anything', 'http://localhost:8000/x')).toBe('url')
    expect(detectKind('url', 'not a url')).toBe('text')
  })

  it('ISO timestamps become dates', () => {
    expect(detectKind('merged_at', '2025-03-01T10:20:30Z')).toBe('timestamp')
    expect(detectKind('whatever', '2025-03-01T10:20:30.123+02:00')).toBe('timestamp')
    expect(isTimestamp('date', '2025-03-01')).toBe(true)
    expect(isTimestamp('version', '2025-03-01')).toBe(false)
    expect(detectKind('title', '2025 was a year')).toBe('text')
  })

  it('user-like keys become user chips', () => {
    for (const k of ['author', 'user', 'actor', 'creator', 'sender', 'login', 'pr_author', 'mergedBy', 'triggering_actor'])
      expect(isUserKey(k), k).toBe(true)
    expect(detectKind('author', 'octocat')).toBe('user')
    expect(isUserKey('authority_level')).toBe(false)
    expect(isUserKey('title')).toBe(false)
  })

  it('status-like strings become badges', () => {
    for (const s of ['success', 'failure', 'failed', 'error', 'pending', 'in_progress', 'cancelled'])
      expect(detectKind('conclusion', s), s).toBe('status')
    expect(detectKind('message', 'failure')).toBe('status')
    expect(detectKind('description', 'done')).toBe('text')
    expect(isStatusValue('state', 'open')).toBe(true)
    expect(statusTone('failure')).toBe('failure')
    expect(statusTone('success')).toBe('success')
    expect(statusTone('in_progress')).toBe('running')
    expect(statusTone('queued')).toBe('warning')
    expect(statusTone('cancelled')).toBe('neutral')
  })

  it('commit SHAs are detected and shortened', () => {
    const full = '9fceb02d0ae598e95dc970b74767f19372d61af8'
    expect(detectKind('anything', full)).toBe('sha')
    expect(isSha('head_sha', '9fceb02')).toBe(true)
    expect(isSha('count', '1234567')).toBe(false)
    expect(isSha('id', 'deadbeef')).toBe(false)
    expect(shortSha(full)).toBe('9fceb02')
  })

  it('arrays of flat objects become tables, other arrays lists; objects nest', () => {
    expect(detectKind('commits', [{ id: 'a', message: 'x' }, { id: 'b', message: 'y', extra: 1 }])).toBe('table')
    expect(detectKind('commits', [{ id: 'a', author: { name: 'x' } }])).toBe('list')
    expect(detectKind('labels', ['bug', 'p1'])).toBe('list')
    expect(detectKind('pull_request', { number: 1 })).toBe('object')
    expect(isFlatObjectArray([])).toBe(false)
  })

  it('scalars', () => {
    expect(detectKind('n', 3)).toBe('number')
    expect(detectKind('merged', true)).toBe('boolean')
    expect(detectKind('x', null)).toBe('null')
    expect(detectKind('body', 'line1\nline2')).toBe('multiline')
  })

  it('labels and summaries', () => {
    expect(humanizeKey('pull_request')).toBe('Pull request')
    expect(humanizeKey('headCommitSha')).toBe('Head commit sha')
    expect(summarize('author', { login: 'octocat', id: 1 })).toBe('octocat')
    expect(summarize('sha', '9fceb02d0ae598e95dc970b74767f19372d61af8')).toBe('9fceb02')
    expect(summarize('files', [1, 2])).toBe('2 items')
  })
})
