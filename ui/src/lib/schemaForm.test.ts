import { describe, expect, it } from 'vitest'
import { initialValues, normalizeSchema, toConfig, validate } from './schemaForm'

describe('configSchema normalization', () => {
  it('reads the seed `fields` form', () => {
    const fields = normalizeSchema({
      fields: [
        { key: 'name', label: 'Connection Name', type: 'text', required: true, placeholder: 'Prod' },
        { key: 'token', label: 'API Token', type: 'password', required: true },
        { key: 'pollInterval', label: 'Poll Interval', type: 'number', default: '300', min: 60, max: 3600 },
        { key: 'enterprise', label: 'Enterprise', type: 'checkbox' },
        { key: 'repos', label: 'Repos', type: 'textarea', help: 'one per line' },
      ],
    })
    expect(fields.map((f) => [f.key, f.type, f.required])).toEqual([
      ['name', 'text', true],
      ['token', 'password', true],
      ['pollInterval', 'number', false],
      ['enterprise', 'checkbox', false],
      ['repos', 'textarea', false],
    ])
    expect(fields[2]).toMatchObject({ min: 60, max: 3600, default: '300' })
    const v = initialValues(fields)
    expect(v.pollInterval).toBe(300)
    expect(v.enterprise).toBe(false)
    expect(validate(fields, { ...v, pollInterval: 10 })).toMatchObject({ name: expect.any(String), token: expect.any(String), pollInterval: expect.stringContaining('60') })
    expect(toConfig(fields, { ...v, name: 'x', token: 't', pollInterval: '120' })).toMatchObject({ pollInterval: 120 })
  })

  it('reads JSON Schema: secrets, arrays, nested objects, enums', () => {
    const fields = normalizeSchema({
      type: 'object',
      required: ['path'],
      properties: {
        path: { type: 'string', title: 'Repository path' },
        apiKey: { type: 'string', 'x-secret': true },
        webhook: { type: 'object', properties: { secret: { type: 'string', format: 'password' }, enabled: { type: 'boolean' } } },
        branches: { type: 'array', items: { type: 'string' } },
        clusters: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer', minimum: 1 } } } },
        mode: { type: 'string', enum: ['batch', 'commit'] },
        interval: { type: 'integer', minimum: 10 },
      },
    })
    const byKey = Object.fromEntries(fields.map((f) => [f.key, f]))
    expect(byKey.path).toMatchObject({ type: 'text', required: true, label: 'Repository path' })
    expect(byKey.apiKey.type).toBe('password')
    expect(byKey.webhook.type).toBe('object')
    expect(byKey.webhook.fields!.map((f) => [f.key, f.type])).toEqual([
      ['secret', 'password'],
      ['enabled', 'checkbox'],
    ])
    expect(byKey.branches.type).toBe('string-list')
    expect(byKey.clusters.type).toBe('object-list')
    expect(byKey.mode.options!.map((o) => o.value)).toEqual(['batch', 'commit'])
    expect(byKey.interval).toMatchObject({ type: 'number', integer: true, min: 10 })
    expect(validate(fields, initialValues(fields))).toHaveProperty('path')
    expect(validate(fields, { ...initialValues(fields), path: '.', interval: 5 })).toHaveProperty('interval')
  })

  it('keeps config keys the schema does not know', () => {
    const fields = normalizeSchema({ fields: [{ key: 'path', label: 'Path', type: 'text' }] })
    const v = initialValues(fields, { path: '.', polling: { interval: 30 } })
    expect(toConfig(fields, v)).toEqual({ path: '.', polling: { interval: 30 } })
  })

  it('unknown shapes give no fields', () => {
    expect(normalizeSchema(null)).toEqual([])
    expect(normalizeSchema('x')).toEqual([])
  })
})

import { integrationFields, chipHelp } from './schemaForm'
describe('integration form fields', () => {
  it('name is "Integration name" and first; required tags may be empty; list hints match chips', () => {
    const f = integrationFields({
      type: 'object',
      required: ['path', 'tags'],
      properties: {
        tags: { type: 'array', items: { type: 'string' } },
        path: { type: 'string' },
        name: { type: 'string', title: 'Connection Name' },
        repos: { type: 'array', items: { type: 'string' }, description: 'Repositories, comma separated' },
      },
    })
    expect(f[0]).toMatchObject({ key: 'name', label: 'Integration name' })
    expect(f.find((x) => x.key === 'tags')!.required).toBe(false)
    expect(f.find((x) => x.key === 'repos')!.help).toBe('Repositories. Type a value and press Enter (or a comma) to add it.')
    expect(chipHelp(undefined)).toMatch(/^Type a value/)
  })
})
