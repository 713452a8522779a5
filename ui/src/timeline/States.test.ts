import { expect, test } from 'vitest'
import { ageText, sinceCovering } from './States'

test('the newest event’s age and the range that shows it', () => {
  const D = 86400e3
  expect(ageText(10 * D + 5000)).toBe('10 days')
  expect(ageText(5 * 3600e3)).toBe('5 hours')
  expect(sinceCovering(10 * D + 5000)).toBe('11d')
  expect(sinceCovering(5 * 3600e3)).toBe('6h')
})
