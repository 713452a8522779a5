import { describe, expect, test } from 'vitest'
import type { PainEvent } from '../api/types'
import { groupStories, stage, storyStatus } from './stories'

const SHA = '9fceb02d0ae598e95dc970b74767f19372d61af8'
let n = 0
const ev = (minute: number, p: Partial<PainEvent>): PainEvent => ({
  id: `e${++n}`,
  title: p.kind ?? 't',
  connector: 'c',
  project: 'p',
  timestamp: new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString(),
  ...p,
})

describe('change stories', () => {
  const pr = ev(0, { kind: 'change.merged', status: 'success', refs: [{ type: 'pr', value: 'a#1' }, { type: 'commit', value: SHA }] })
  const push = ev(1, { kind: 'branch.pushed', refs: [{ type: 'commit', value: SHA }, { type: 'branch', value: 'main' }] })
  const ci = ev(5, { kind: 'pipelinerun.finished', status: 'success', refs: [{ type: 'commit', value: SHA }] })
  const image = ev(6, { kind: 'artifact.published', refs: [{ type: 'commit', value: SHA }, { type: 'image', value: 'ghcr.io/a:1' }] })
  const deploy = ev(9, { kind: 'service.deployed', status: 'failure', refs: [{ type: 'image', value: 'ghcr.io/a:1' }] })
  const other = ev(3, { kind: 'branch.pushed', refs: [{ type: 'commit', value: 'abcdef1234567' }, { type: 'branch', value: 'main' }] })
  const lone = ev(7, { kind: 'incident.detected' })

  test('PR → push → CI → image → deploy become one story, linked through a chain of refs', () => {
    const items = groupStories([deploy, lone, image, ci, other, push, pr])
    expect(items.map((i) => (i.type === 'story' ? `story:${i.story.steps.length}` : i.ev.id))).toEqual(['story:5', lone.id, other.id])
    const s = items[0].type === 'story' ? items[0].story : null
    // oldest first inside the story
    expect(s!.steps.map((e) => stage(e))).toEqual(['pr', 'push', 'ci', 'image', 'deploy'])
    expect(s!.newest).toBe(deploy.timestamp)
    expect(s!.refs).toEqual([`commit:${SHA}`, 'image:ghcr.io/a:1'])
    expect(s!.status).toBe('failure')
  })

  test('a shared branch does not link unrelated pushes', () => {
    const items = groupStories([push, other])
    expect(items.every((i) => i.type === 'event')).toBe(true)
  })

  test('events without refs, duplicates and order', () => {
    expect(groupStories([])).toEqual([])
    const items = groupStories([lone, lone])
    expect(items).toHaveLength(1)
  })

  test('story status: failure wins, running when the last step runs, else success', () => {
    expect(storyStatus([pr, ci])).toBe('success')
    expect(storyStatus([pr, { ...ci, status: 'running' }])).toBe('running')
    expect(storyStatus([{ ...ci, status: 'timed_out' }, pr])).toBe('failure')
    expect(storyStatus([push])).toBe('unknown')
  })
})

import { collectAnchors, isAnchor } from './anchors'
describe('incident anchors', () => {
  test('incident kinds and failure statuses are anchors; dedup, oldest first', () => {
    const inc = ev(5, { kind: 'incident.detected' })
    const fail = ev(2, { kind: 'pipelinerun.finished', status: 'failure' })
    const ok = ev(3, { kind: 'service.deployed', status: 'success' })
    expect(isAnchor(ok)).toBe(false)
    expect(collectAnchors([[inc, ok], [fail, inc]]).map((e) => e.id)).toEqual([fail.id, inc.id])
  })
})
