/** Only http(s) URLs may become links: `javascript:`/`data:` URLs from event payloads must not. */
export function isHttpUrl(u: unknown): u is string {
  if (typeof u !== 'string') return false
  try {
    const p = new URL(u.trim())
    return p.protocol === 'http:' || p.protocol === 'https:'
  } catch {
    return false
  }
}
