import { describe, expect, it, vi } from 'vitest'
import { fireEvent, render, screen, within } from '@testing-library/react'
import { JsonView } from './JsonView'

const data = {
  action: 'closed',
  html_url: 'https://github.com/acme/api/pull/42',
  merged_at: '2025-03-01T10:20:30Z',
  author: 'octocat',
  sender: { login: 'hubot', avatar_url: 'https://avatars.example/u/2' },
  conclusion: 'failure',
  head_sha: '9fceb02d0ae598e95dc970b74767f19372d61af8',
  additions: 12,
  merged: true,
  labels: ['bug', 'p1'],
  commits: [
    { sha: '1111111111111111111111111111111111111111', message: 'Fix', author: 'alice' },
    { sha: '2222222222222222222222222222222222222222', message: 'Test', author: 'bob' },
  ],
  pull_request: { number: 42, base: { ref: 'main', repo: { full_name: 'acme/api' } } },
}

describe('<JsonView>', () => {
  it('renders each rule', () => {
    render(<JsonView data={data} />)
    const link = screen.getByRole('link', { name: /github.com\/acme\/api\/pull\/42/ })
    expect(link.getAttribute('href')).toBe('https://github.com/acme/api/pull/42')
    expect(link.getAttribute('rel')).toContain('noopener')
    expect(screen.getAllByTestId('json-timestamp')[0].getAttribute('datetime')).toBe('2025-03-01T10:20:30Z')
    const chips = screen.getAllByTestId('user-chip').map((c) => c.getAttribute('title'))
    expect(chips).toEqual(expect.arrayContaining(['octocat', 'hubot']))
    expect(screen.getAllByTestId('status-badge').map((b) => b.textContent)).toContain('failure')
    const sha = screen.getAllByTestId('json-sha')[0]
    expect(sha.textContent).toContain('9fceb02')
    expect(sha.textContent).not.toContain('9fceb02d0ae5')
    expect(within(sha).getByRole('button', { name: /Copy 9fceb02d0ae598e95dc970b74767f19372d61af8/ })).toBeTruthy()
    // array of flat objects -> table with a header per key
    const table = screen.getByTestId('json-table')
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Sha', 'Message', 'Author'])
    expect(within(table).getAllByRole('row')).toHaveLength(3)
    // short string arrays -> chips
    expect(screen.getByTestId('json-chips').textContent).toBe('bugp1')
  })

  it('nested objects are collapsible', () => {
    render(<JsonView data={data} collapseDepth={1} />)
    const toggle = screen.getByRole('button', { name: /Pull request/ })
    expect(toggle.getAttribute('aria-expanded')).toBe('true')
    expect(screen.getByText('42')).toBeTruthy()
    // deeper objects start collapsed
    const base = screen.getByRole('button', { name: /^Base$/ })
    expect(base.getAttribute('aria-expanded')).toBe('false')
    expect(screen.queryByText('main')).toBeNull()
    fireEvent.click(base)
    expect(screen.getByText('main')).toBeTruthy()
    fireEvent.click(toggle)
    expect(toggle.getAttribute('aria-expanded')).toBe('false')
    expect(screen.queryByText('main')).toBeNull()
  })

  it('copy button copies the full SHA', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    Object.assign(navigator, { clipboard: { writeText } })
    render(<JsonView data={{ sha: '9fceb02d0ae598e95dc970b74767f19372d61af8' }} />)
    fireEvent.click(screen.getByRole('button', { name: /Copy/ }))
    expect(writeText).toHaveBeenCalledWith('9fceb02d0ae598e95dc970b74767f19372d61af8')
  })

  it('pin toggles report the field', () => {
    const onTogglePin = vi.fn()
    render(<JsonView data={{ branch: 'main' }} pinned={[]} onTogglePin={onTogglePin} />)
    fireEvent.click(screen.getByRole('button', { name: 'Show branch in the list' }))
    expect(onTogglePin).toHaveBeenCalledWith('branch', true)
  })

  it('does not render HTML from data', () => {
    const { container } = render(<JsonView data={{ title: '<img src=x onerror=alert(1)>' }} />)
    expect(container.querySelector('img')).toBeNull()
  })
})
