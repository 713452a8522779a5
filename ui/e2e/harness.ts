// Starts a PainChain server for the browser tests and drives Debian's
// Chromium through playwright-core (no browser download).
//
// Server: the real binary from $PAINCHAIN_BIN (default ../target/debug/painchain)
// run as `serve --bind 127.0.0.1:<port> --data-dir <tmp> --no-auth` (auth is on by
// default; the tests run on loopback with it explicitly off). With
// PAINCHAIN_E2E_MOCK=1 the in-memory mock (mock-server.ts) is used instead.

import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { createMockServer } from './mock-server.ts'

const here = path.dirname(new URL(import.meta.url).pathname)
export const UI_DIR = path.resolve(here, '..')
export const RESULTS = path.join(UI_DIR, 'test-results')

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

export interface Server {
  url: string
  stop(): Promise<void>
  logs(): string
  /** Creates an API token directly in the store (`painchain token create --local`); real binary only. */
  createToken?(scope: 'read' | 'ingest' | 'admin'): Promise<string>
}

export const MOCK = process.env.PAINCHAIN_E2E_MOCK === '1'
export const BIN = process.env.PAINCHAIN_BIN || path.resolve(UI_DIR, '../target/debug/painchain')

// builtinConnectors: false starts the server without its in-process
// connectors (PAINCHAIN_CONNECTORS=none), as when connector types come from
// external (seed-era) connectors registering their own `github` type: the
// built-in one would already own that id, and a re-registration that drops
// one of its secret fields is refused.
export async function startServer(opts: { auth?: boolean; builtinConnectors?: boolean } = {}): Promise<Server> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  if (MOCK) {
    const mock = createMockServer(path.join(UI_DIR, 'dist'))
    await new Promise<void>((r) => mock.server.listen(port, '127.0.0.1', () => r()))
    return { url, stop: async () => mock.close(), logs: () => '' }
  }
  const bin = BIN
  if (!fs.existsSync(bin)) throw new Error(`PainChain binary not found at ${bin}: run \`cargo build -p painchain\` or set PAINCHAIN_BIN`)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'painchain-e2e-'))
  let log = ''
  const args = ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir]
  if (!opts.auth) args.push('--no-auth')
  const env: NodeJS.ProcessEnv = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', NO_COLOR: '1' }
  // PAINCHAIN_UI_DIR (dev only): the server reads the UI from this directory
  // (e.g. a fresh `npm run build`'s dist/) instead of the copy compiled in.
  if (process.env.PAINCHAIN_UI_DIR) env.PAINCHAIN_UI_DIR = path.resolve(process.env.PAINCHAIN_UI_DIR)
  if (opts.builtinConnectors === false) env.PAINCHAIN_CONNECTORS = 'none'
  const child: ChildProcess = spawn(bin, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => (log += d))
  child.stderr!.on('data', (d) => (log += d))
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`painchain exited with ${child.exitCode}:\n${log}`)
    try {
      const r = await fetch(`${url}/health`)
      if (r.ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`painchain did not answer /health within 30 s:\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  return {
    url,
    logs: () => log,
    createToken: (scope) =>
      new Promise((resolve, reject) => {
        const p = spawn(bin, ['token', 'create', '--local', '--name', `e2e-${scope}`, '--scope', scope, '--data-dir', dataDir], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let out = ''
        let errOut = ''
        p.stdout!.on('data', (d) => (out += d))
        p.stderr!.on('data', (d) => (errOut += d))
        p.on('exit', (code) => {
          const tok = out.trim().split(/\s+/).find((w) => w.startsWith('pc_'))
          if (code === 0 && tok) resolve(tok)
          else reject(new Error(`token create exited ${code}: ${out} ${errOut}`))
        })
      }),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))])
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export async function api(server: Server, method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(server.url + p, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  let json: any = undefined
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = text
  }
  return { status: r.status, json }
}

export async function seed(server: Server, events: Record<string, unknown>[]) {
  for (let i = 0; i < events.length; i += 500) {
    const r = await api(server, 'POST', '/api/events/batch', events.slice(i, i + 500))
    if (r.status !== 200) {
      // fall back to one at a time
      for (const e of events.slice(i, i + 500)) {
        const one = await api(server, 'POST', '/api/events', e)
        if (one.status !== 201 && one.status !== 409) throw new Error(`seeding failed: ${one.status} ${JSON.stringify(one.json)}`)
      }
    }
  }
}

export async function launch(): Promise<Browser> {
  // chromium.launch() gives every run a fresh temporary profile.
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
}

export async function newPage(
  browser: Browser,
  opts: { dark?: boolean; width?: number; height?: number; mobile?: boolean } = {},
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({
    viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 },
    ...(opts.mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    colorScheme: opts.dark ? 'dark' : 'light',
    timezoneId: 'Europe/Paris',
    locale: 'en-GB',
  })
  const page = await ctx.newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (e) => console.error('[page error]', e.message))
  return { ctx, page }
}

export async function shot(page: Page, name: string) {
  fs.mkdirSync(RESULTS, { recursive: true })
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) })
}
