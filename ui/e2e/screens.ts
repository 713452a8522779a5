// Dev helper: screenshots of the main views (`node --import tsx e2e/screens.ts`).
import { startServer, seed, launch, newPage, shot, api } from './harness.ts'
import { realisticEvents, fillerEvents, GITHUB_TYPE, KUBE_TYPE } from './seed.ts'

const server = await startServer({ builtinConnectors: false })
try {
  await api(server, 'POST', '/api/integrations/types/register', GITHUB_TYPE)
  await api(server, 'POST', '/api/integrations/types/register', KUBE_TYPE)
  await api(server, 'POST', '/api/teams', { name: 'payments', tags: ['payments'] })
  await seed(server, [...fillerEvents(400), ...realisticEvents()])
  const browser = await launch()
  for (const dark of [false, true]) {
    const { page, ctx } = await newPage(browser, { dark, width: dark ? 1280 : 1440, height: dark ? 760 : 900 })
    await page.goto(server.url + '/')
    await page.getByTestId('event-row').first().waitFor()
    await page.waitForTimeout(400)
    await shot(page, `timeline-${dark ? 'dark' : 'light'}`)
    await page.getByTestId('event-row').filter({ hasText: 'Merged PR #1423' }).click()
    await page.getByTestId('detail-panel').waitFor()
    await page.waitForTimeout(200)
    await shot(page, `detail-${dark ? 'dark' : 'light'}`)
    await page.goto(server.url + '/?group=project&since=24h')
    await page.getByTestId('group-head').first().waitFor()
    await shot(page, `grouped-${dark ? 'dark' : 'light'}`)
    await page.goto(server.url + '/settings/integrations?new=kubernetes')
    await page.waitForTimeout(400)
    await shot(page, `settings-form-${dark ? 'dark' : 'light'}`)
    await page.goto(server.url + '/settings/connectors')
    await page.waitForTimeout(400)
    await shot(page, `settings-types-${dark ? 'dark' : 'light'}`)
    await page.goto(server.url + '/')
    await page.getByTestId('filter-connector').click()
    await page.waitForTimeout(200)
    await shot(page, `filter-menu-${dark ? 'dark' : 'light'}`)
    await page.keyboard.press('Escape')
    await page.getByTestId('time-range').click()
    await page.waitForTimeout(400)
    await shot(page, `time-range-${dark ? 'dark' : 'light'}`)
    await ctx.close()
  }
  await browser.close()
} finally {
  await server.stop()
}
