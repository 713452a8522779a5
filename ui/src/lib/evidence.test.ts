import { describe, expect, test } from 'vitest'
import type { PainEvent } from '../api/types'
import { changedKeys, commitOf, configDiff, evidence, imageTag, versionChange } from './evidence'

const ev = (p: Partial<PainEvent>): PainEvent => ({ id: 'e', title: 't', connector: 'c', project: 'p', timestamp: '2026-01-01T00:00:00Z', ...p })

describe('row evidence', () => {
  test('deploy: version old → new from data, or from images', () => {
    expect(versionChange(ev({ kind: 'service.deployed', data: { previousVersion: 'v2.13.1', version: 'v2.14.0' } }))).toEqual({ from: 'v2.13.1', to: 'v2.14.0' })
    expect(versionChange(ev({ kind: 'service.deployed', data: { version: { from: '1.0', to: '1.1' } } }))).toEqual({ from: '1.0', to: '1.1' })
    expect(
      versionChange(ev({ kind: 'deployment.rollout', data: { old_image: 'ghcr.io/a/b:2.13.1', image: 'ghcr.io/a/b:2.14.0' } })),
    ).toEqual({ from: '2.13.1', to: '2.14.0' })
    // only the new one known: from a version ref
    expect(versionChange(ev({ kind: 'service.deployed', refs: [{ type: 'version', value: 'v9' }] }))).toEqual({ to: 'v9' })
    expect(evidence(ev({ kind: 'branch.pushed', data: { version: '1' } })).version).toBeUndefined()
  })

  test('image tags keep registry ports out', () => {
    expect(imageTag('localhost:5000/app:1.2')).toBe('1.2')
    expect(imageTag('localhost:5000/app')).toBe('localhost:5000/app')
  })

  test('config change: changed keys and the before/after diff', () => {
    const e = ev({ kind: 'config.changed', data: { changes: { 'pool.size': { from: 10, to: 4 }, timeout: { old: '5s', new: '2s' } } } })
    expect(changedKeys(e)).toEqual(['pool.size', 'timeout'])
    expect(configDiff(e)).toEqual([
      { key: 'pool.size', before: 10, after: 4 },
      { key: 'timeout', before: '5s', after: '2s' },
    ])
    const ba = ev({ kind: 'config.changed', data: { before: { a: 1, b: 2 }, after: { a: 1, b: 3, c: true } } })
    expect(changedKeys(ba)).toEqual(['b', 'c'])
    const list = ev({ kind: 'config.changed', data: { changes: [{ key: 'x', old: 1, new: 2 }] } })
    expect(configDiff(list)).toEqual([{ key: 'x', before: 1, after: 2 }])
    expect(changedKeys(ev({ kind: 'config.changed', data: { changed_keys: ['a'] } }))).toEqual(['a'])
    expect(configDiff(ev({ kind: 'branch.pushed', data: { changes: { a: 1 } } }))).toEqual([])
  })

  test('commit: short sha from refs first, then data; zero shas ignored', () => {
    const sha = '9fceb02d0ae598e95dc970b74767f19372d61af8'
    expect(commitOf(ev({ refs: [{ type: 'pr', value: 'a#1' }, { type: 'commit', value: sha }] }))).toEqual({ short: '9fceb02', full: sha })
    expect(commitOf(ev({ data: { head_sha: sha } }))?.short).toBe('9fceb02')
    expect(commitOf(ev({ data: { after: '0000000000000000000000000000000000000000' } }))).toBeUndefined()
  })

  test('service and environment come from the top-level fields', () => {
    const e = evidence(ev({ service: 'payments-api', environment: 'production', kind: 'service.deployed', data: { version: 'v1' } }))
    expect(e).toMatchObject({ service: 'payments-api', environment: 'production', version: { to: 'v1' } })
  })
})
