// Connector colours that mean something. Red is reserved for failure, so no
// connector gets a red hue; well-known connectors get a fixed, distinct hue
// (their registered brand colours — GitLab, Kubernetes, Terraform, git — are
// near-identical oranges/reds, and GitHub's near-black vanishes on a dark
// background); every colour is mid-lightness so it reads in light AND dark.

/** Curated hues for connectors we know; these win over registered colours. */
export const KNOWN_COLORS: Record<string, string> = {
  github: '#8957e5', // violet
  gitlab: '#e2711d', // orange
  git: '#0f97b0', // cyan
  kubernetes: '#326ce5', // blue
  terraform: '#c03fc0', // magenta
  argocd: '#b8a800', // mustard
  jenkins: '#5f9a1f', // olive
  cdevents: '#1fa36b', // green-teal
  api: '#6e7781', // slate: events sent by hand / scripts
}

/** Hues (degrees) too close to the failure red. */
export function isRedHue(h: number): boolean {
  const x = ((h % 360) + 360) % 360
  return x >= 340 || x <= 18
}

export function parseHex(c: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c.trim())
  if (!m) return null
  const s = m[1].length === 3 ? m[1].replace(/./g, (d) => d + d) : m[1]
  return [0, 2, 4].map((i) => parseInt(s.slice(i, i + 2), 16)) as [number, number, number]
}

/** HSL of an RGB triple: hue in degrees, saturation and lightness 0..1. */
export function rgbToHsl([r, g, b]: [number, number, number]): [number, number, number] {
  const R = r / 255, G = g / 255, B = b / 255
  const max = Math.max(R, G, B), min = Math.min(R, G, B)
  const l = (max + min) / 2
  if (max === min) return [0, 0, l]
  const d = max - min
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min)
  const h = max === R ? (G - B) / d + (G < B ? 6 : 0) : max === G ? (B - R) / d + 2 : (R - G) / d + 4
  return [h * 60, s, l]
}

const KNOWN_HUES = Object.values(KNOWN_COLORS)
  .map((c) => rgbToHsl(parseHex(c)!))
  .filter(([, s]) => s > 0.15)
  .map(([h]) => h)

/**
 * A stable, non-red hue for a name, at least 12° away from the curated hues
 * (so an unknown connector does not look like Kubernetes or GitHub).
 */
export function hashHue(name: string): number {
  let h = 0
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0
  // Map onto the wheel minus the red band [340, 18].
  let hue = 19 + (Math.abs(h) % 320)
  for (let tries = 0; tries < 40; tries++) {
    const near = KNOWN_HUES.some((k) => Math.min(Math.abs(k - hue), 360 - Math.abs(k - hue)) < 12)
    if (!near) break
    hue = 19 + ((hue - 19 + 7) % 320)
  }
  return hue
}

export function hashColor(name: string): string {
  return `hsl(${hashHue(name)} 55% 48%)`
}

/**
 * The colour for a connector: the curated one when known; else the registered
 * colour when it is a readable, non-red colour in both themes; else a hashed hue.
 */
export function connectorColor(id: string, registered?: string | null): string {
  const known = KNOWN_COLORS[id]
  if (known) return known
  const rgb = registered ? parseHex(registered) : null
  if (rgb) {
    const [h, s, l] = rgbToHsl(rgb)
    const grey = s < 0.15
    // Too dark for the dark theme or too light for the light one.
    const readable = l >= 0.3 && l <= 0.72
    if (readable && (grey || !isRedHue(h))) return registered!
    if (!grey && !isRedHue(h)) return `hsl(${Math.round(h)} ${Math.round(Math.max(s, 0.45) * 100)}% 50%)`
  }
  return hashColor(id)
}
