import { expect, test } from 'vitest'
import { isHttpUrl } from './url'

test('only http(s) URLs are links', () => {
  expect(isHttpUrl('https://github.com/a/b/pull/1')).toBe(true)
  expect(isHttpUrl('http://ci.local:8080/x')).toBe(true)
  expect(isHttpUrl('javascript:alert(1)')).toBe(false)
  expect(isHttpUrl(' JavaScript:alert(1)')).toBe(false)
  expect(isHttpUrl('data:text/html,<b>x</b>')).toBe(false)
  expect(isHttpUrl('/relative')).toBe(false)
  expect(isHttpUrl(null)).toBe(false)
})
