import { afterEach, expect, test, vi } from 'vitest'

afterEach(() => {
  localStorage.clear()
  sessionStorage.clear()
  vi.resetModules()
})

test('the API token is kept in sessionStorage, never localStorage', async () => {
  const { getToken, setToken, authHeaders } = await import('./client')
  setToken('pc_secret')
  expect(sessionStorage.getItem('painchain.token')).toBe('pc_secret')
  expect(localStorage.getItem('painchain.token')).toBeNull()
  expect(getToken()).toBe('pc_secret')
  expect(authHeaders().authorization).toBe('Bearer pc_secret')
  setToken('')
  expect(sessionStorage.getItem('painchain.token')).toBeNull()
})

test('a token left in localStorage by an older version moves to sessionStorage', async () => {
  localStorage.setItem('painchain.token', 'pc_old')
  const { getToken } = await import('./client')
  expect(getToken()).toBe('pc_old')
  expect(localStorage.getItem('painchain.token')).toBeNull()
})
