// Browser tests against a real `painchain serve` (see harness.ts).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import { api, launch, newPage, seed, shot, startServer, type Server } from './harness.ts'
import { fillerEvents, GITHUB_TYPE, KUBE_TYPE, realisticEvents, SHA_MERGE } from './seed.ts'

let server: Server
let browser: Browser
let page: Page

const rows = () => page.getByTestId('event-row')
const rowTitles = async () => (await rows().locator('.title').allTextContents()).map((s) => s.trim())
const params = () => new URL(page.url()).searchParams

async function waitRows(pred: (titles: string[]) => boolean, what: string) {
  const deadline = Date.now() + 10_000
  let titles: string[] = []
  while (Date.now() < deadline) {
    titles = await rowTitles()
    if (pred(titles)) return titles
    await page.waitForTimeout(100)
  }
  assert.fail(`${what}; rows were: ${JSON.stringify(titles.slice(0, 12))}`)
}

async function pickFilter(testId: string, option: string) {
  await page.getByTestId(testId).click()
  await page.locator('.popover .opt', { hasText: option }).first().click()
  await page.keyboard.press('Escape')
}

before(async () => {
  server = await startServer({ builtinConnectors: false })
  for (const t of [GITHUB_TYPE, KUBE_TYPE]) {
    const r = await api(server, 'POST', '/api/integrations/types/register', t)
    assert.ok(r.status < 300, `register ${t.id}: ${r.status} ${JSON.stringify(r.json)}`)
  }
  const team = await api(server, 'POST', '/api/teams', { name: 'payments', tags: ['payments'] })
  assert.equal(team.status, 201, JSON.stringify(team.json))
  await seed(server, [...fillerEvents(250), ...realisticEvents()])
  browser = await launch()
  ;({ page } = await newPage(browser))
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

describe('timeline', () => {
  test('shows seeded events newest first with histogram and connector marks', async () => {
    await page.goto(server.url + '/')
    await waitRows((t) => t[0] === 'Pod payments-api-7d9f8-xk2p4 CrashLoopBackOff', 'newest event first')
    const titles = await rowTitles()
    assert.equal(titles[1], 'Deployed payments-api v2.14.0 to production')
    await page.getByTestId('histogram').locator('canvas').waitFor()
    assert.match((await page.getByTestId('total').textContent()) ?? '', /256 events/)
    // a well-known connector gets its built-in mark (inline SVG), not a letter tile
    const mark = rows().filter({ hasText: 'Merged PR #1423' }).locator('.conn-mark')
    assert.equal(await mark.getAttribute('data-mark'), 'svg')
    assert.equal(await mark.locator('svg').count(), 1)
    // the absolute clock time, with the relative one (and the full date) on hover
    const time = rows().first().locator('time')
    assert.match((await time.textContent()) ?? '', /^(\d{1,2} \w{3} )?\d{2}:\d{2}$/)
    assert.match((await time.getAttribute('title')) ?? '', /(ago|just now) · .*\d{2}:\d{2}:\d{2}/)
    await shot(page, 'e2e-timeline')
  })

  test('infinite scroll loads the next page with the cursor', async () => {
    await page.goto(server.url + '/?since=30d')
    await waitRows((t) => t.length > 0, 'rows')
    const status = page.locator('.list-status')
    await assert.doesNotReject(status.getByText(/Showing 100 of 256/).waitFor())
    const list = page.getByTestId('event-list')
    for (let i = 0; i < 10 && !(await status.getByText(/Showing 2\d\d/).count()); i++) {
      await list.evaluate((el) => el.scrollTo(0, el.scrollHeight))
      await page.waitForTimeout(300)
    }
    await status.getByText(/Showing 2\d\d/).waitFor()
  })

  test('filters change the results and the URL; reload reproduces the view; clear all', async () => {
    await page.goto(server.url + '/')
    await waitRows((t) => t.length > 5, 'rows')
    await pickFilter('filter-connector', 'Kubernetes')
    assert.deepEqual(params().getAll('connector'), ['kubernetes'])
    await waitRows((t) => t.length === 2, 'only the 2 kubernetes events')

    await page.getByTestId('failures-only').click()
    await page.waitForURL(/failures=1/)
    const t = await waitRows((t) => t.length === 1, 'one kubernetes failure')
    assert.equal(t[0], 'Pod payments-api-7d9f8-xk2p4 CrashLoopBackOff')
    await shot(page, 'e2e-filtered')

    await page.reload()
    await waitRows((t) => t.length === 1 && t[0].startsWith('Pod payments-api'), 'same view after reload')
    assert.equal(await page.getByTestId('failures-only').isChecked(), true)
    assert.match((await page.getByTestId('filter-connector').textContent()) ?? '', /Kubernetes/)

    await page.getByTestId('clear-all').click()
    assert.equal(params().has('connector'), false)
    assert.equal(params().has('failures'), false)
    await waitRows((t) => t.length > 5, 'all events again')
  })

  test('free-text search and time presets live in the URL', async () => {
    await page.goto(server.url + '/')
    await page.getByLabel('Search events').fill('retry budget')
    await page.waitForURL(/q=retry\+budget|q=retry%20budget/)
    await waitRows((t) => t.length === 1 && t[0].startsWith('Merged PR #1423'), 'search result')
    await page.getByTestId('time-range').click()
    await page.getByRole('button', { name: 'Last hour' }).click()
    assert.equal(params().get('since'), '1h')
    assert.equal(params().get('q'), 'retry budget')
    await page.goto(server.url + '/?since=15m&q=retry+budget')
    await page.getByTestId('no-match').waitFor()
  })

  test('absolute date-time picker sets startDate/endDate', async () => {
    await page.goto(server.url + '/')
    await page.getByTestId('time-range').click()
    await page.getByLabel('Start time').fill('00:00')
    await page.getByLabel('End time').fill('23:59')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL(/startDate=.*endDate=/)
    const start = Date.parse(params().get('startDate')!)
    const end = Date.parse(params().get('endDate')!)
    assert.ok(end - start > 24 * 3600e3 && end - start < 48 * 3600e3, `range ${params().get('startDate')} → ${params().get('endDate')}`)
    assert.equal(params().has('since'), false)
    // The label re-renders after the URL changes: wait for it rather than read it once.
    await page.getByTestId('time-range').filter({ hasText: '→' }).waitFor({ timeout: 5000 })
  })

  test('brushing the histogram zooms to an absolute range', async () => {
    await page.goto(server.url + '/?since=24h')
    await waitRows((t) => t.length > 0, 'rows')
    const over = page.getByTestId('histogram').locator('.u-over')
    const box = (await over.boundingBox())!
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.999, box.y + box.height / 2, { steps: 5 })
    await page.mouse.up()
    await page.waitForURL(/startDate=/)
    const start = Date.parse(params().get('startDate')!)
    const end = Date.parse(params().get('endDate')!)
    assert.ok(end > start && end - start < 6 * 3600e3, `zoomed range ${params().get('startDate')} → ${params().get('endDate')}`)
    await waitRows((t) => t.includes('Merged PR #1423: Add retry budget to payment client'), 'recent events in zoomed range')
    await page.getByRole('button', { name: /Zoom out/ }).click()
    assert.equal(params().has('startDate'), false)
  })

  test('grouping by project is collapsible', async () => {
    await page.goto(server.url + '/?group=project&since=24h')
    const head = page.getByTestId('group-head').filter({ hasText: 'prod-eu-1/payments' })
    await head.waitFor()
    await waitRows((t) => t.includes('Deployed payments-api v2.14.0 to production'), 'group rows')
    await head.click()
    assert.equal(await head.getAttribute('aria-expanded'), 'false')
    await waitRows((t) => !t.includes('Deployed payments-api v2.14.0 to production'), 'collapsed group hides its rows')
    await shot(page, 'e2e-grouped')
  })

  test('team filter uses the team’s tags', async () => {
    await page.goto(server.url + '/')
    await pickFilter('filter-team', 'payments')
    assert.deepEqual(params().getAll('team'), ['payments'])
    const t = await waitRows((t) => t.length > 0 && t.length < 60, 'team events')
    assert.ok(t.includes('Deployed payments-api v2.14.0 to production'))
    assert.ok(!t.includes('Release v5.2.0 published'), 'frontend release is not a payments event')
    await page.reload()
    await waitRows((x) => x.length === t.length, 'same team view after reload')
  })
})

describe('detail panel', () => {
  test('renders the event data with the generic JSON rules', async () => {
    await page.goto(server.url + '/')
    await rows().filter({ hasText: 'Merged PR #1423' }).click()
    const panel = page.getByTestId('detail-panel')
    await panel.waitFor()
    assert.ok(params().get('event'), 'open event in the URL')
    // URL → link
    const link = panel.locator('[data-key="html_url"] a')
    assert.equal(await link.getAttribute('href'), 'https://github.com/acme/payments-api/pull/1423')
    // timestamp → date
    assert.ok(await panel.locator('[data-key="merged_at"] time').count())
    // user-like keys → chips (string and object forms)
    assert.equal(await panel.locator('[data-key="merged_by"] [data-testid="user-chip"]').getAttribute('title'), 'hubot')
    assert.equal(await panel.locator('[data-key="user"] [data-testid="user-chip"]').getAttribute('title'), 'octocat')
    // sha → shortened with a copy button
    const sha = panel.locator('[data-key="merge_commit_sha"] [data-testid="json-sha"]')
    assert.equal((await sha.textContent())?.trim(), '9fceb02')
    assert.ok(await sha.getByRole('button', { name: `Copy ${SHA_MERGE}` }).count())
    // array of flat objects → table
    const table = panel.locator('[data-key="commits"] table')
    assert.equal(await table.locator('tbody tr').count(), 2)
    // status badge
    assert.equal((await panel.getByTestId('status-badge').first().textContent())?.trim(), 'success')
    await shot(page, 'e2e-detail')

    // reload keeps the panel open
    await page.reload()
    await page.getByTestId('detail-panel').getByText('Merged PR #1423: Add retry budget to payment client').first().waitFor()
  })

  test('ref chips filter the timeline by that ref', async () => {
    const panel = page.getByTestId('detail-panel')
    await panel.getByTestId('ref-chip').filter({ hasText: 'commit' }).click()
    assert.deepEqual(params().getAll('ref'), [`commit:${SHA_MERGE}`])
    const t = await waitRows((t) => t.length === 3, 'the three events referencing the merge commit')
    assert.deepEqual(t.sort(), [
      'CI failed on main: build-and-test',
      'Deployed payments-api v2.14.0 to production',
      'Merged PR #1423: Add retry budget to payment client',
    ])
  })

  test('pinning a field shows it in the list (saved per browser)', async () => {
    await page.goto(server.url + '/?connector=github&kind=pipelinerun.finished')
    await rows().first().click()
    const panel = page.getByTestId('detail-panel')
    await panel.getByRole('button', { name: 'Show workflow in the list' }).click()
    await rows().first().getByTestId('row-field').first().waitFor()
    await page.reload()
    assert.match((await rows().first().getByTestId('row-field').first().textContent()) ?? '', /Workflow:/)
  })

  test('keyboard: j/k move, Enter opens, Esc closes', async () => {
    await page.goto(server.url + '/')
    await waitRows((t) => t.length > 3, 'rows')
    await page.getByTestId('event-list').focus()
    await page.keyboard.press('j')
    await page.keyboard.press('j')
    await page.keyboard.press('k')
    await page.keyboard.press('j')
    await page.keyboard.press('Enter')
    const panel = page.getByTestId('detail-panel')
    await panel.waitFor()
    assert.equal(await panel.locator('h2').textContent(), (await rowTitles())[1])
    await page.keyboard.press('Escape')
    await panel.waitFor({ state: 'detached' })
    assert.equal(params().has('event'), false)
  })
})

describe('live updates', () => {
  test('a posted event appears without reload; scrolled away shows a pill', async () => {
    await page.goto(server.url + '/')
    await waitRows((t) => t.length > 3, 'rows')
    const r = await api(server, 'POST', '/api/events', {
      title: 'Live: rollback payments-api to v2.13.2',
      connector: 'kubernetes',
      project: 'prod-eu-1/payments',
      timestamp: new Date().toISOString(),
      kind: 'service.deployed',
      status: 'in_progress',
      environment: 'production',
      tags: ['payments'],
    })
    assert.equal(r.status, 201, JSON.stringify(r.json))
    await waitRows((t) => t[0] === 'Live: rollback payments-api to v2.13.2', 'live event on top')

    await page.getByTestId('event-list').evaluate((el) => el.scrollTo(0, 2000))
    await page.waitForTimeout(200)
    await api(server, 'POST', '/api/events', {
      title: 'Live: second event while scrolled away',
      connector: 'github',
      project: 'acme/api',
      timestamp: new Date().toISOString(),
    })
    const pill = page.getByTestId('new-events-pill')
    await pill.waitFor()
    assert.match((await pill.textContent()) ?? '', /1 new event/)
    await shot(page, 'e2e-live-pill')
    await pill.click()
    await waitRows((t) => t[0] === 'Live: second event while scrolled away', 'pill shows the new event')
  })
})

describe('settings', () => {
  test('integration form is generated from a registered JSON Schema', async () => {
    await page.goto(server.url + '/settings/connectors')
    await page.getByTestId('type-card').filter({ hasText: 'Kubernetes' }).waitFor()
    await page.goto(server.url + '/settings/integrations')
    await page.getByTestId('add-integration').click()
    await page.getByLabel('Connector type').selectOption('kubernetes')
    const dialog = page.getByRole('dialog', { name: 'Add integration' })
    assert.equal(await dialog.getByLabel('Service account token').getAttribute('type'), 'password')
    assert.ok(await dialog.getByRole('group', { name: 'TLS' }).count(), 'nested object as a fieldset')
    // required fields are checked before submit
    await dialog.getByRole('button', { name: 'Create integration' }).click()
    await dialog.getByText('Cluster name is required').waitFor()
    await dialog.locator('#f-name').fill('prod cluster')
    await dialog.getByLabel('Cluster name').fill('prod-eu-1')
    await dialog.locator('#f-namespaces').fill('payments')
    await dialog.locator('#f-namespaces').press('Enter')
    await dialog.locator('#f-namespaces').fill('checkout')
    await dialog.locator('#f-namespaces').press('Enter')
    await dialog.getByLabel('Service account token').fill('s3cr3t-token-1234')
    await shot(page, 'e2e-settings-form')
    await dialog.getByRole('button', { name: 'Create integration' }).click()
    await dialog.waitFor({ state: 'detached' })
    const row = page.getByTestId('integration-row').filter({ hasText: 'prod cluster' })
    await row.waitFor()
    const list = await api(server, 'GET', '/api/integrations')
    const created = list.json.find((i: any) => i.name === 'prod cluster')
    assert.deepEqual(created.config.namespaces, ['payments', 'checkout'])
    assert.equal(created.config.cluster, 'prod-eu-1')
    assert.notEqual(created.config.bearerToken, undefined)
  })

  test('seed-form schema renders; status and "Test connection" results are shown', async () => {
    await page.goto(server.url + '/settings/integrations')
    await page.getByTestId('add-integration').click()
    await page.getByLabel('Connector type').selectOption('github')
    const dialog = page.getByRole('dialog', { name: 'Add integration' })
    assert.equal(await dialog.getByLabel('Personal Access Token').getAttribute('type'), 'password')
    assert.equal(await dialog.getByLabel('Poll Interval (seconds)').inputValue(), '300')
    await dialog.getByLabel('Integration name').fill('acme github')
    await dialog.getByLabel('Personal Access Token').fill('ghp_example')
    await dialog.getByRole('button', { name: 'Create integration' }).click()
    await dialog.waitFor({ state: 'detached' })
    const row = page.getByTestId('integration-row').filter({ hasText: 'acme github' })
    await row.waitFor()
    const id = await row.getAttribute('data-integration-id')

    // What a connector reports shows up in the list.
    const st = await api(server, 'POST', `/api/integrations/${id}/status`, {
      state: 'error',
      lastError: 'GET /repos/acme/api: 401 Bad credentials',
      eventsCollected: 42,
      lastSyncAt: new Date(Date.now() - 5 * 60e3).toISOString(),
    })
    assert.ok(st.status < 300 || st.status === 404, `status report: ${st.status}`)
    if (st.status < 300) {
      await page.reload()
      await row.getByText('401 Bad credentials').waitFor()
      assert.equal((await row.getByTestId('status-badge').textContent())?.trim(), 'error')
      await row.getByText('42').waitFor()
    }

    // A stand-in connector process: heartbeats for its type and answers the
    // connection tests the server hands it.
    let answered = 0
    let stop = false
    const fake = (async () => {
      while (!stop) {
        const hb = await api(server, 'POST', '/api/integrations/types/github/heartbeat', {})
        for (const t of hb.json?.tests ?? []) {
          await api(server, 'POST', `/api/integrations/types/github/tests/${t.id}`, { ok: false, error: 'GitHub answered 401 Bad credentials for this token' })
          answered++
        }
        await new Promise((r) => setTimeout(r, 200))
      }
    })()
    try {
      await row.getByRole('button', { name: /Test connection/ }).click()
      const result = row.getByTestId('test-result')
      await result.waitFor({ timeout: 20_000 })
      const text = (await result.textContent()) ?? ''
      console.log(`    test-connection result shown: ${text}`)
      if (answered > 0) assert.equal(text, '✗ GitHub answered 401 Bad credentials for this token')
      else assert.match(text, /^✗ .{5,}/, 'a server without connection tests: the UI says why')
      await shot(page, 'e2e-test-connection')

      // From the edit dialog too, and a passing test.
      await row.getByRole('button', { name: 'Edit acme github' }).click()
      const edit = page.getByRole('dialog')
      assert.match((await edit.getByLabel('Personal Access Token').getAttribute('placeholder')) ?? '', /Unchanged/)
      await edit.getByTestId('test-connection').click()
      await edit.getByTestId('test-result').waitFor({ timeout: 20_000 })
      await edit.getByRole('button', { name: 'Cancel' }).click()
    } finally {
      stop = true
      await fake
    }
  })

  test('integrations: disable, sync now, delete with confirmation', async () => {
    await page.goto(server.url + '/settings/integrations')
    const row = page.getByTestId('integration-row').filter({ hasText: 'prod cluster' })
    await row.waitFor()
    await row.getByRole('checkbox', { name: 'Collect events for prod cluster' }).click()
    await row.getByTestId('status-badge').filter({ hasText: 'disabled' }).waitFor()
    const list = await api(server, 'GET', '/api/integrations')
    assert.equal(list.json.find((i: any) => i.name === 'prod cluster').enabled, false)
    await row.getByRole('button', { name: 'Sync prod cluster now' }).click()
    await row.getByTestId('row-note').waitFor()
    await row.getByRole('button', { name: 'Delete prod cluster' }).click()
    const confirm = page.getByRole('dialog', { name: /Delete “prod cluster”/ })
    await confirm.getByRole('button', { name: 'Delete integration' }).click()
    await row.waitFor({ state: 'detached' })
    const after = await api(server, 'GET', '/api/integrations')
    assert.equal(after.json.some((i: any) => i.name === 'prod cluster'), false)
  })

  test('teams: create, edit, delete', async () => {
    await page.goto(server.url + '/settings/teams')
    await page.getByTestId('add-team').click()
    await page.getByLabel('Team name').fill('frontend')
    await page.locator('#team-tags').fill('frontend')
    await page.locator('#team-tags').press('Enter')
    await page.getByRole('button', { name: 'Save team' }).click()
    const row = page.getByTestId('team-row').filter({ hasText: 'frontend' })
    await row.waitFor()
    await row.getByRole('button', { name: 'Edit team frontend' }).click()
    await page.locator('#team-tags').fill('web')
    await page.locator('#team-tags').press('Enter')
    await page.getByRole('button', { name: 'Save team' }).click()
    await row.getByText('web').waitFor()
    const teams = await api(server, 'GET', '/api/teams')
    assert.deepEqual(teams.json.find((t: any) => t.name === 'frontend').tags, ['frontend', 'web'])
    await row.getByRole('button', { name: 'Delete team frontend' }).click()
    await page.getByRole('button', { name: 'Delete team', exact: true }).click()
    await row.waitFor({ state: 'detached' })
  })

  test('API tokens: create shows the secret once, revoke', async () => {
    await page.goto(server.url + '/settings/tokens')
    await page.getByTestId('add-token').click()
    await page.getByLabel('Token name').fill('ci')
    await page.getByLabel('Scope').selectOption('ingest')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    const secret = (await page.getByTestId('new-token').textContent()) ?? ''
    assert.match(secret, /^pc_/)
    await page.getByRole('button', { name: 'Done' }).click()
    const row = page.getByTestId('token-row').filter({ hasText: 'ci' })
    await row.waitFor()
    assert.equal(await page.getByText(secret).count(), 0, 'secret not shown again')
    await row.getByRole('button', { name: 'Revoke token ci' }).click()
    await page.getByRole('button', { name: 'Revoke token', exact: true }).click()
    await row.waitFor({ state: 'detached' })
  })
})
