import { describe, expect, test } from 'vitest'
import { connectorColor, hashHue, isRedHue, KNOWN_COLORS, parseHex, rgbToHsl } from './colors'

const hue = (c: string) => {
  const m = /^hsl\((\d+)/.exec(c)
  return m ? Number(m[1]) : rgbToHsl(parseHex(c)!)[0]
}

describe('connector colours', () => {
  test('well-known connectors have distinct, non-red hues (at least 25° apart)', () => {
    const hues = Object.values(KNOWN_COLORS)
      .filter((c) => rgbToHsl(parseHex(c)!)[1] > 0.15)
      .map(hue)
    for (const h of hues) expect(isRedHue(h)).toBe(false)
    for (let i = 0; i < hues.length; i++)
      for (let j = i + 1; j < hues.length; j++) {
        const d = Math.abs(hues[i] - hues[j])
        expect(Math.min(d, 360 - d)).toBeGreaterThanOrEqual(25)
      }
  })

  test('the curated colour wins over a registered brand colour', () => {
    expect(connectorColor('git', '#f05133')).toBe(KNOWN_COLORS.git)
    expect(connectorColor('github', '#24292f')).toBe(KNOWN_COLORS.github)
  })

  test('every known colour is mid-lightness (readable on white and on #0d1117)', () => {
    for (const c of Object.values(KNOWN_COLORS)) {
      const l = rgbToHsl(parseHex(c)!)[2]
      expect(l).toBeGreaterThanOrEqual(0.3)
      expect(l).toBeLessThanOrEqual(0.72)
    }
  })

  test('unknown connectors: a readable registered colour is kept; red or near-black is replaced', () => {
    expect(connectorColor('acme', '#326ce5')).toBe('#326ce5')
    expect(connectorColor('acme', '#777777')).toBe('#777777')
    const red = connectorColor('acme', '#e01e1e')
    expect(isRedHue(hue(red))).toBe(false)
    const black = connectorColor('acme', '#111111')
    expect(black).not.toBe('#111111')
    // a dark blue keeps its hue but becomes readable
    expect(connectorColor('acme', '#0a1a40')).toMatch(/^hsl\(22\d /)
  })

  test('hashed hues keep away from the curated ones', () => {
    const known = Object.values(KNOWN_COLORS).filter((c) => rgbToHsl(parseHex(c)!)[1] > 0.15).map(hue)
    for (const n of ['pagerduty', 'sentry', 'datadog', 'opsgenie', 'argo-rollouts', 'spinnaker', 'buildkite', 'circleci']) {
      const h = hashHue(n)
      for (const k of known) expect(Math.min(Math.abs(k - h), 360 - Math.abs(k - h))).toBeGreaterThanOrEqual(12)
    }
  })

  test('hashed hues never fall in the red band', () => {
    for (const n of ['a', 'b', 'sentry', 'pagerduty', 'x'.repeat(40), 'datadog', 'opsgenie']) expect(isRedHue(hashHue(n))).toBe(false)
    expect(isRedHue(hue(connectorColor('pagerduty')))).toBe(false)
  })
})
