import { createContext, useContext, useMemo, type ReactNode } from 'react'
import { useConnectorTypes } from '../api/hooks'
import type { ConnectorType } from '../api/types'
import { hashColor } from './ui'

export interface ConnectorMeta {
  id: string
  name: string
  color: string
  logo: string | null
  type?: ConnectorType
}

const Ctx = createContext<(id: string) => ConnectorMeta>((id) => ({ id, name: id, color: hashColor(id), logo: null }))

function logoSrc(t: ConnectorType): string | null {
  if (typeof t.logoUrl === 'string' && t.logoUrl) return t.logoUrl
  const l = t.logo
  if (typeof l !== 'string' || !l) return null
  if (/^data:image\//i.test(l)) return l
  if (/^(https?:)?\/\//i.test(l) || l.startsWith('/')) return l
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
        name: t.displayName || t.id,
        color: t.color || hashColor(t.id),
        logo: logoSrc(t),
        type: t,
      })
    }
    return (id: string): ConnectorMeta => map.get(id) ?? { id, name: id, color: hashColor(id), logo: null }
  }, [data])
  return <Ctx.Provider value={lookup}>{children}</Ctx.Provider>
}

export function useConnector() {
  return useContext(Ctx)
}

export function ConnectorMark({ id, size }: { id: string; size?: 'sm' | 'lg' }) {
  const meta = useConnector()(id)
  return (
    <span
      className={`conn-mark${size ? ' ' + size : ''}`}
      style={{ background: meta.logo ? 'transparent' : meta.color }}
      title={meta.name}
      aria-label={meta.name}
      role="img"
    >
      {meta.logo ? <img src={meta.logo} alt="" /> : meta.name.slice(0, 1).toUpperCase()}
    </span>
  )
}
