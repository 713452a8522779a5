import type { components } from './schema.gen'

export interface Ref {
  type: string
  value: string
}

export interface PainEvent {
  id: string
  tenantId?: string
  title: string
  connector: string
  project: string
  timestamp: string
  createdAt?: string
  externalId?: string | null
  integrationId?: string | null
  data?: Record<string, unknown> | null
  tags?: string[]
  kind?: string | null
  status?: string | null
  url?: string | null
  actor?: string | null
  environment?: string | null
  service?: string | null
  refs?: Ref[]
  extra?: Record<string, unknown>
}

export interface Bucket {
  start: string
  counts: Record<string, number>
  total: number
}

export interface TimelineResponse {
  events: PainEvent[]
  total: number
  nextCursor?: string | null
  groupBy?: 'project' | 'connector'
  groups?: { key: string; count: number }[]
  interval?: number
  buckets?: Bucket[]
}

export interface ConnectorType {
  id: string
  displayName?: string
  color?: string | null
  logo?: string | null
  /** Where the server serves the logo bytes, when it has one. */
  logoUrl?: string | null
  description?: string | null
  configSchema?: unknown
  registeredAt?: string
  lastHeartbeat?: string | null
  live?: boolean
  stale?: boolean
  status?: string
}

export interface IntegrationStatusInfo {
  state?: string
  lastSyncAt?: string | null
  lastError?: string | null
  eventsCollected?: number | null
  reportedAt?: string | null
}

export interface Integration {
  id: string
  tenantId?: string
  type: string
  name: string
  config: Record<string, unknown>
  status?: string | IntegrationStatusInfo | null
  state?: string
  enabled?: boolean
  managedBy?: string | null
  lastSync?: string | null
  lastSyncAt?: string | null
  lastError?: string | null
  eventsCollected?: number | null
  registeredAt?: string
  updatedAt?: string
  health?: IntegrationStatusInfo | null
  connectorStatus?: IntegrationStatusInfo | null
  [k: string]: unknown
}

export interface Team {
  id: string
  name: string
  tags: string[]
  createdAt?: string
  updatedAt?: string
  tenantId?: string
}

export interface Project {
  id: string
  name: string
  connector: string
  connectors?: string[]
  tags?: string[]
  eventCount?: number
  lastEventAt?: string | null
  createdAt?: string
}

export interface ApiToken {
  id: string
  tenantId?: string
  name: string
  scope: string
  prefix?: string
  createdAt?: string
  lastUsedAt?: string | null
  token?: string
}

// ---- The contract: these hand-written shapes are checked against the types
// generated from the server's OpenAPI document (src/api/schema.gen.ts, made by
// `npm run gen:api` from docs/openapi.json). A field the UI reads that the
// server renames or drops fails `tsc`, and `npm run check:api` fails when the
// generated file is older than the document.
type Schemas = components['schemas']
/** `true` when every key of `Ui` is in `Server`. */
type KeysIn<Ui, Server> = [Exclude<keyof Ui, keyof Server>] extends [never] ? true : false
type Assert<T extends true> = T

/** Investigation answers, straight from the contract. */
export type Investigation = Schemas['Investigation']
export type Suspect = Schemas['Suspect']
export type Chain = Schemas['Chain']
export type DeployContents = Schemas['DeployContents']

export type ContractChecks = [
  Assert<KeysIn<PainEvent, Schemas['Event']>>,
  Assert<KeysIn<Ref, Schemas['Ref']>>,
  Assert<KeysIn<Bucket, Schemas['Bucket']>>,
  Assert<KeysIn<TimelineResponse, Schemas['Timeline']>>,
  Assert<KeysIn<Team, Schemas['Team']>>,
  Assert<KeysIn<Project, Schemas['Project']>>,
  Assert<KeysIn<Omit<ApiToken, 'token'>, Schemas['TokenInfo']>>,
  Assert<KeysIn<Pick<ApiToken, 'token'>, Schemas['CreatedToken']>>,
]
