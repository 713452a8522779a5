import { lazy, Suspense } from 'react'
import { NavLink, Route, Routes, Link } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { TimelinePage } from './pages/Timeline'
import { ConnectorProvider } from './components/connectors'
import { ApiError } from './api/client'
import { useIntegrations } from './api/hooks'

const SettingsPage = lazy(() => import('./pages/Settings').then((m) => ({ default: m.SettingsPage })))

function AuthBanner() {
  // One cheap call tells whether the server wants a token we don't have.
  const { error } = useIntegrations()
  const health = useQuery({
    queryKey: ['health'],
    queryFn: async () => {
      const r = await fetch('/health')
      if (!r.ok) throw new Error(`HTTP ${r.status}`)
      return true
    },
    refetchInterval: (q) => (q.state.status === 'error' ? 5000 : 60_000),
    retry: false,
  })
  if (health.isError)
    return (
      <div className="banner err" role="alert" data-testid="api-down-banner">
        The PainChain server is not responding. Retrying…
      </div>
    )
  if (error instanceof ApiError && error.status === 401)
    return (
      <div className="banner warn" role="alert">
        This server requires an API token. <Link to="/settings/access">Enter one</Link>
      </div>
    )
  return null
}

export function App() {
  return (
    <ConnectorProvider>
      <div className="app">
        <header className="topbar">
          <Link to="/" className="brand" aria-label="PainChain home">
            <img src="/favicon.svg" alt="" />
            PainChain
          </Link>
          <nav className="nav" aria-label="Main">
            <NavLink to="/" end>
              Timeline
            </NavLink>
            <NavLink to="/settings">Settings</NavLink>
          </nav>
          <span className="spacer" />
          <a className="faint small" href="/api/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
        </header>
        <AuthBanner />
        <main className="main">
          <Routes>
            <Route path="/" element={<TimelinePage />} />
            <Route
              path="/settings/*"
              element={
                <Suspense fallback={<div className="content"><div className="skel" style={{ height: 120, maxWidth: 980 }} /></div>}>
                  <SettingsPage />
                </Suspense>
              }
            />
            <Route
              path="*"
              element={
                <div className="state">
                  <h2>Page not found</h2>
                  <p>
                    <Link to="/">Back to the timeline</Link>
                  </p>
                </div>
              }
            />
          </Routes>
        </main>
      </div>
    </ConnectorProvider>
  )
}
