// Measures time to first meaningful paint of the timeline with many events.
// Not part of `npm run e2e` (seeding takes minutes):
//   PERF_EVENTS=200000 node --import tsx e2e/perf.ts
import { api, launch, newPage, shot, startServer } from './harness.ts'

const N = Number(process.env.PERF_EVENTS ?? 200_000)
const server = await startServer()
try {
  const connectors = ['github', 'git', 'kubernetes', 'gitlab']
  const t0 = Date.now()
  const span = 30 * 86400e3
  let sent = 0
  const batch = (start: number) =>
    Array.from({ length: 1000 }, (_, j) => {
      const i = start + j
      return {
        title: `Event ${i}: deploy service-${i % 97} build ${i}`,
        connector: connectors[i % connectors.length],
        project: `acme/project-${i % 40}`,
        timestamp: new Date(Date.now() - (i / N) * span).toISOString(),
        externalId: `perf-${i}`,
        kind: i % 3 ? 'branch.pushed' : 'pipelinerun.finished',
        status: i % 3 ? undefined : i % 11 ? 'success' : 'failure',
        actor: `user${i % 23}`,
        tags: [`team-${i % 5}`],
        data: { branch: 'main', run: i, sha: (i.toString(16) + 'a'.repeat(40)).slice(0, 40) },
      }
    })
  const workers = 3
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let start = w * 1000; start < N; start += workers * 1000) {
        const r = await api(server, 'POST', '/api/events/batch', batch(start))
        if (r.status !== 200) throw new Error(`batch ${r.status}`)
        sent += 1000
        if (sent % 50000 === 0) console.log(`seeded ${sent} in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
      }
    }),
  )
  console.log(`seeded ${N} events in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const browser = await launch()
  const { page } = await newPage(browser)
  for (const [label, path] of [
    ['cold, default view (7d)', '/'],
    ['warm, default view (7d)', '/'],
    ['30 days', '/?since=30d'],
    ['filtered: connector=github + failures', '/?since=30d&connector=github&failures=1'],
    ['text search', '/?since=30d&q=service-42'],
  ] as const) {
    const start = Date.now()
    await page.goto(server.url + path)
    await page.getByTestId('event-row').first().waitFor({ timeout: 60_000 })
    const rows = Date.now() - start
    await page.getByTestId('histogram').locator('canvas').waitFor({ timeout: 60_000 })
    const histo = Date.now() - start
    console.log(`${label}: first rows ${rows} ms, histogram ${histo} ms`)
  }
  await shot(page, 'perf')
  // Scrolling smoothness: load ~2000 rows and measure frame times while scrolling.
  await page.goto(server.url + '/?since=30d')
  await page.getByTestId('event-row').first().waitFor()
  const list = page.getByTestId('event-list')
  for (let i = 0; i < 20; i++) {
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await page.waitForTimeout(250)
  }
  const loaded = await page.locator('.list-status').textContent()
  const frames = await list.evaluate(async (el) => {
    const times: number[] = []
    let last = performance.now()
    for (let i = 0; i < 120; i++) {
      el.scrollTop = Math.max(0, el.scrollTop - 400)
      await new Promise((r) => requestAnimationFrame(() => r(null)))
      const now = performance.now()
      times.push(now - last)
      last = now
    }
    times.sort((a, b) => a - b)
    return { p50: times[60], p95: times[114], max: times[119] }
  })
  console.log(`scroll with ${loaded}: frame p50 ${frames.p50.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms, max ${frames.max.toFixed(1)} ms`)
  await browser.close()
} finally {
  await server.stop()
}
