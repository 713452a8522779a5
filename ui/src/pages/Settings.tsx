// Settings: one route per section; each section lives in src/settings/.
import { NavLink, Navigate, Route, Routes } from 'react-router'
import { ConnectorsSection } from '../settings/Connectors'
import { IntegrationsSection } from '../settings/Integrations'
import { TeamsSection } from '../settings/Teams'
import { TokensSection } from '../settings/Tokens'
import { AccessSection } from '../settings/Access'

export { typeLiveness } from '../settings/Connectors'
export { integrationHealth, testConnection } from '../settings/health'

export function SettingsPage() {
  return (
    <div className="settings">
      <nav className="side" aria-label="Settings sections">
        <NavLink to="/settings/integrations">Integrations</NavLink>
        <NavLink to="/settings/connectors">Connector types</NavLink>
        <NavLink to="/settings/teams">Teams</NavLink>
        <NavLink to="/settings/tokens">API tokens</NavLink>
        <NavLink to="/settings/access">Access</NavLink>
      </nav>
      <div className="content">
        <div className="content-inner">
          <Routes>
            <Route index element={<Navigate to="integrations" replace />} />
            <Route path="integrations" element={<IntegrationsSection />} />
            <Route path="connectors" element={<ConnectorsSection />} />
            <Route path="teams" element={<TeamsSection />} />
            <Route path="tokens" element={<TokensSection />} />
            <Route path="access" element={<AccessSection />} />
            <Route path="*" element={<Navigate to="integrations" replace />} />
          </Routes>
        </div>
      </div>
    </div>
  )
}
