// A connector type's configSchema, in either accepted form, normalized to one
// field list the settings form renders:
//  - the seed's `{fields: [{key, label, type, placeholder, required, help, default, min, max}]}`
//  - JSON Schema (`properties`, `required`, `type`, `format`, `enum`, `items`, `x-secret`...)

export type FieldType =
  | 'text'
  | 'password'
  | 'number'
  | 'checkbox'
  | 'textarea'
  | 'select'
  | 'string-list'
  | 'object'
  | 'object-list'
  | 'json'

export interface FormField {
  key: string
  label: string
  type: FieldType
  required: boolean
  placeholder?: string
  help?: string
  default?: unknown
  min?: number
  max?: number
  integer?: boolean
  options?: { value: string; label: string }[]
  /** For `object` and `object-list`. */
  fields?: FormField[]
  /** `string-list` of numbers. */
  itemType?: 'string' | 'number'
}

const SECRET_KEY = /(^|_)(token|secret|password|passwd|api_?key|private_?key|client_?secret)$/i

function humanize(key: string): string {
  const s = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
  return s ? s[0].toUpperCase() + s.slice(1) : key
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || /(Token|Secret|Password|ApiKey)$/.test(key)
}

type Json = Record<string, unknown>

function asObj(v: unknown): Json | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v)
  return undefined
}

function seedField(f: Json): FormField | null {
  const key = typeof f.key === 'string' ? f.key : typeof f.name === 'string' ? f.name : null
  if (!key) return null
  const t = String(f.type ?? 'text')
  const type: FieldType =
    t === 'password' || t === 'number' || t === 'checkbox' || t === 'textarea'
      ? t
      : t === 'boolean'
        ? 'checkbox'
        : t === 'select' && Array.isArray(f.options)
          ? 'select'
          : isSecretKey(key)
            ? 'password'
            : 'text'
  const field: FormField = {
    key,
    label: typeof f.label === 'string' ? f.label : humanize(key),
    type,
    required: f.required === true,
    placeholder: typeof f.placeholder === 'string' ? f.placeholder : undefined,
    help: typeof f.help === 'string' ? f.help : typeof f.description === 'string' ? f.description : undefined,
    default: f.default,
    min: num(f.min),
    max: num(f.max),
  }
  if (type === 'select' && Array.isArray(f.options)) {
    field.options = f.options.map((o) =>
      asObj(o) ? { value: String(asObj(o)!.value), label: String(asObj(o)!.label ?? asObj(o)!.value) } : { value: String(o), label: String(o) },
    )
  }
  return field
}

function schemaType(s: Json): string {
  const t = s.type
  if (Array.isArray(t)) return String(t.find((x) => x !== 'null') ?? 'string')
  if (typeof t === 'string') return t
  if (asObj(s.properties)) return 'object'
  if (Array.isArray(s.enum)) return 'string'
  return 'string'
}

function jsonSchemaField(key: string, s: Json, required: boolean): FormField {
  const type = schemaType(s)
  const base = {
    key,
    label: typeof s.title === 'string' ? s.title : humanize(key),
    required,
    help: typeof s.description === 'string' ? s.description : undefined,
    default: s.default,
    placeholder:
      typeof s['x-placeholder'] === 'string'
        ? (s['x-placeholder'] as string)
        : Array.isArray(s.examples) && s.examples.length
          ? String(s.examples[0])
          : undefined,
  }
  if (Array.isArray(s.enum)) {
    return { ...base, type: 'select', options: s.enum.map((v) => ({ value: String(v), label: String(v) })) }
  }
  switch (type) {
    case 'boolean':
      return { ...base, type: 'checkbox' }
    case 'integer':
    case 'number':
      return {
        ...base,
        type: 'number',
        integer: type === 'integer',
        min: num(s.minimum),
        max: num(s.maximum),
      }
    case 'array': {
      const items = asObj(s.items) ?? {}
      const it = schemaType(items)
      if (it === 'object') {
        return { ...base, type: 'object-list', fields: objectFields(items) }
      }
      return { ...base, type: 'string-list', itemType: it === 'number' || it === 'integer' ? 'number' : 'string' }
    }
    case 'object': {
      if (asObj(s.properties)) return { ...base, type: 'object', fields: objectFields(s) }
      return { ...base, type: 'json' }
    }
    default: {
      const secret =
        s.format === 'password' || s['x-secret'] === true || s.writeOnly === true || s['x-sensitive'] === true || isSecretKey(key)
      const multiline = s.format === 'textarea' || s['x-multiline'] === true || (num(s.maxLength) ?? 0) > 500
      return { ...base, type: secret ? 'password' : multiline ? 'textarea' : 'text' }
    }
  }
}

function objectFields(s: Json): FormField[] {
  const props = asObj(s.properties) ?? {}
  const req = Array.isArray(s.required) ? (s.required as unknown[]).map(String) : []
  return Object.entries(props).map(([k, v]) => jsonSchemaField(k, asObj(v) ?? {}, req.includes(k)))
}

/** Normalizes either schema form; unknown shapes give an empty list (the form then offers raw JSON). */
export function normalizeSchema(schema: unknown): FormField[] {
  const s = asObj(schema)
  if (!s) return []
  if (Array.isArray(s.fields)) {
    return s.fields.map((f) => (asObj(f) ? seedField(asObj(f)!) : null)).filter((f): f is FormField => !!f)
  }
  const inner = asObj(s.connectionForm) ?? asObj(s.configSchema)
  if (inner) return normalizeSchema(inner)
  if (asObj(s.properties) || s.type === 'object') return objectFields(s)
  return []
}

/** Initial values for a form: defaults, then whatever `config` already has. */
export function initialValues(fields: FormField[], config: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    if (config[f.key] !== undefined) {
      out[f.key] =
        f.type === 'object' && f.fields && asObj(config[f.key])
          ? initialValues(f.fields, asObj(config[f.key])!)
          : config[f.key]
      continue
    }
    if (f.default !== undefined) {
      out[f.key] = f.type === 'number' ? (num(f.default) ?? f.default) : f.default
    } else if (f.type === 'checkbox') out[f.key] = false
    else if (f.type === 'string-list' || f.type === 'object-list') out[f.key] = []
    else if (f.type === 'object') out[f.key] = initialValues(f.fields ?? [])
    else out[f.key] = ''
  }
  // Keep keys the schema does not mention (e.g. `polling`), so editing never drops them.
  for (const [k, v] of Object.entries(config)) if (!(k in out)) out[k] = v
  return out
}

/** Client-side checks before submitting; the server validates again. */
export function validate(fields: FormField[], values: Record<string, unknown>, prefix = ''): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const f of fields) {
    const path = prefix + f.key
    const v = values[f.key]
    const empty = v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)
    if (f.required && empty && f.type !== 'checkbox') {
      errors[path] = `${f.label} is required`
      continue
    }
    if (f.type === 'number' && !empty) {
      const n = Number(v)
      if (Number.isNaN(n)) errors[path] = `${f.label} must be a number`
      else if (f.integer && !Number.isInteger(n)) errors[path] = `${f.label} must be a whole number`
      else if (f.min !== undefined && n < f.min) errors[path] = `${f.label} must be ≥ ${f.min}`
      else if (f.max !== undefined && n > f.max) errors[path] = `${f.label} must be ≤ ${f.max}`
    }
    if (f.type === 'object' && f.fields && asObj(v)) Object.assign(errors, validate(f.fields, asObj(v)!, path + '.'))
  }
  return errors
}

/** Converts form values to the config JSON (numbers as numbers, empty optional strings dropped). */
export function toConfig(fields: FormField[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values }
  for (const f of fields) {
    const v = values[f.key]
    if (f.type === 'number') {
      if (v === '' || v === undefined || v === null) delete out[f.key]
      else out[f.key] = Number(v)
    } else if (f.type === 'object' && f.fields && asObj(v)) {
      out[f.key] = toConfig(f.fields, asObj(v)!)
    } else if (f.type === 'object-list' && Array.isArray(v) && f.fields) {
      out[f.key] = v.map((item) => (asObj(item) ? toConfig(f.fields!, asObj(item)!) : item))
    } else if ((f.type === 'text' || f.type === 'textarea' || f.type === 'password' || f.type === 'select') && v === '' && !f.required) {
      delete out[f.key]
    }
  }
  return out
}

const NAME_FIELD: FormField = { key: 'name', label: 'Integration name', type: 'text', required: true, placeholder: 'this repo' }
const TAGS_FIELD: FormField = {
  key: 'tags',
  label: 'Tags',
  type: 'string-list',
  required: false,
  help: 'Teams and the tag filter match these.',
}
export const CHIP_HINT = 'Type a value and press Enter (or a comma) to add it.'

/** A list field is edited as chips: a schema hint written for a text box ("comma separated") would mislead. */
export function chipHelp(help?: string): string {
  const rest = (help ?? '')
    .replace(/\(?\s*(comma[- ]separated( list)?|separated by commas|one per line)\s*\)?[.;]?/gi, '')
    .replace(/^[\s,;.:-]+|[\s,;:-]+$/g, '')
    .trim()
  return rest ? `${rest}${/[.!?]$/.test(rest) ? '' : '.'} ${CHIP_HINT}` : CHIP_HINT
}

/**
 * The fields of the integration form for a connector's schema: always a name
 * (labelled "Integration name" whatever the schema calls it) and tags (the
 * seed contract requires both), list hints that match the chip input, and a
 * stable order — name, required, simple optional, lists, tags, nested groups.
 */
export function integrationFields(schema: unknown): FormField[] {
  const out = normalizeSchema(schema).map((x) =>
    x.key === 'name'
      ? { ...x, label: 'Integration name' }
      : x.key === 'tags'
        ? // `tags` must be present but may be empty (`[]` is always sent): a
          // schema marking it required must not block saving without tags.
          { ...x, required: false, help: chipHelp(x.help) }
        : x.type === 'string-list'
          ? { ...x, help: chipHelp(x.help) }
          : x,
  )
  if (!out.some((x) => x.key === 'tags')) out.push({ ...TAGS_FIELD, help: chipHelp(TAGS_FIELD.help) })
  if (!out.some((x) => x.key === 'name')) out.unshift(NAME_FIELD)
  const rank = (x: FormField) =>
    x.key === 'name' ? 0 : x.key === 'tags' ? 4 : x.type === 'object' || x.type === 'object-list' || x.type === 'json' ? 5 : x.required ? 1 : x.type === 'string-list' ? 3 : 2
  return out
    .map((x, i) => [x, i] as const)
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
    .map(([x]) => x)
}
