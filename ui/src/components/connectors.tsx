import { createContext, useContext, useMemo, type ReactNode } from 'react'
import { useConnectorTypes } from '../api/hooks'
import type { ConnectorType } from '../api/types'
import { connectorColor } from '../lib/colors'
import { MARKS } from './marks'

export interface ConnectorMeta {
  id: string
  name: string
  color: string
  logo: string | null
  type?: ConnectorType
}

const DISPLAY: Record<string, string> = { github: 'GitHub', gitlab: 'GitLab', git: 'git', kubernetes: 'Kubernetes', terraform: 'Terraform' }

function fallback(id: string): ConnectorMeta {
  return { id, name: DISPLAY[id] ?? id, color: connectorColor(id), logo: null }
}

const Ctx = createContext<(id: string) => ConnectorMeta>(fallback)

function logoSrc(t: ConnectorType): string | null {
  if (typeof t.logoUrl === 'string' && t.logoUrl) return t.logoUrl
  const l = t.logo
  if (typeof l !== 'string' || !l) return null
  if (/^data:image\//i.test(l)) return l
  if (/^https?:\/\//i.test(l) || (l.startsWith('/') && !l.startsWith('//'))) return l
  // A file name (the seed's `logo.png`): the server serves the bytes.
  return `/api/integrations/types/${encodeURIComponent(t.id)}/logo`
}

/** Connector colors/logos from the registered types (`/api/integrations/types`). */
export function ConnectorProvider({ children }: { children: ReactNode }) {
  const { data } = useConnectorTypes()
  const lookup = useMemo(() => {
    const map = new Map<string, ConnectorMeta>()
    for (const t of Array.isArray(data) ? data : []) {
      map.set(t.id, {
        id: t.id,
        name: t.displayName || DISPLAY[t.id] || t.id,
        color: connectorColor(t.id, t.color),
        logo: logoSrc(t),
        type: t,
      })
    }
    return (id: string): ConnectorMeta => map.get(id) ?? fallback(id)
  }, [data])
  return <Ctx.Provider value={lookup}>{children}</Ctx.Provider>
}

export function useConnector() {
  return useContext(Ctx)
}

/**
 * The connector's mark: our inline SVG for well-known connectors (drawn in
 * white on the connector's colour, so it reads in both themes), else the
 * registered logo, else the first letter.
 */
export function ConnectorMark({ id, size }: { id: string; size?: 'sm' | 'lg' }) {
  const meta = useConnector()(id)
  const mark = MARKS[id]
  const useLogo = !mark && !!meta.logo
  return (
    <span
      className={`conn-mark${size ? ' ' + size : ''}`}
      style={{ background: useLogo ? 'transparent' : meta.color }}
      title={meta.name}
      aria-label={meta.name}
      role="img"
      data-mark={mark ? 'svg' : useLogo ? 'logo' : 'letter'}
    >
      {mark ? mark : useLogo ? <img src={meta.logo!} alt="" /> : meta.name.slice(0, 1).toUpperCase()}
    </span>
  )
}
