// A form generated from a normalized configSchema (lib/schemaForm).

import { useState } from 'react'
import type { FormField } from '../lib/schemaForm'
import { Icon } from './ui'

type Values = Record<string, unknown>

export function SchemaFields({
  fields,
  values,
  onChange,
  errors,
  prefix = '',
  disabled,
}: {
  fields: FormField[]
  values: Values
  onChange: (v: Values) => void
  errors: Record<string, string>
  prefix?: string
  disabled?: boolean
}) {
  return (
    <>
      {fields.map((f) => (
        <FieldInput
          key={f.key}
          field={f}
          value={values[f.key]}
          onChange={(v) => onChange({ ...values, [f.key]: v })}
          error={errors[prefix + f.key]}
          errors={errors}
          path={prefix + f.key}
          disabled={disabled}
        />
      ))}
    </>
  )
}

function FieldInput({
  field: f,
  value,
  onChange,
  error,
  errors,
  path,
  disabled,
}: {
  field: FormField
  value: unknown
  onChange: (v: unknown) => void
  error?: string
  errors: Record<string, string>
  path: string
  disabled?: boolean
}) {
  const id = `f-${path.replace(/[^a-zA-Z0-9_-]/g, '_')}`
  const help = f.help ? <span className="help" id={`${id}-help`}>{f.help}</span> : null
  const label = (
    <label htmlFor={id}>
      {f.label}
      {f.required && <span className="req" aria-hidden="true">*</span>}
    </label>
  )
  const common = {
    id,
    'aria-describedby': f.help ? `${id}-help` : undefined,
    'aria-invalid': error ? true : undefined,
    'aria-required': f.required || undefined,
    disabled,
  }
  const err = error ? <span className="err-text" role="alert">{error}</span> : null
  switch (f.type) {
    case 'checkbox':
      return (
        <div className="field check">
          <input type="checkbox" {...common} checked={value === true || value === 'true'} onChange={(e) => onChange(e.target.checked)} />
          <label htmlFor={id} style={{ fontWeight: 500 }}>{f.label}</label>
          {help}
          {err}
        </div>
      )
    case 'textarea':
      return (
        <div className={`field${error ? ' invalid' : ''}`}>
          {label}
          <textarea className="textarea" {...common} placeholder={f.placeholder} value={str(value)} onChange={(e) => onChange(e.target.value)} />
          {help}
          {err}
        </div>
      )
    case 'select':
      return (
        <div className={`field${error ? ' invalid' : ''}`}>
          {label}
          <select className="select" {...common} value={str(value)} onChange={(e) => onChange(e.target.value)}>
            {!f.required && <option value="">—</option>}
            {f.options?.map((o) => (
              <option key={o.value} value={o.value}>{o.label}</option>
            ))}
          </select>
          {help}
          {err}
        </div>
      )
    case 'number':
      return (
        <div className={`field${error ? ' invalid' : ''}`}>
          {label}
          <input
            className="input"
            type="number"
            {...common}
            min={f.min}
            max={f.max}
            step={f.integer ? 1 : 'any'}
            placeholder={f.placeholder}
            value={value === undefined || value === null ? '' : String(value)}
            onChange={(e) => onChange(e.target.value)}
          />
          {help}
          {err}
        </div>
      )
    case 'password':
      return <PasswordField f={f} common={common} label={label} help={help} err={err} value={value} onChange={onChange} />
    case 'string-list':
      return (
        <div className={`field${error ? ' invalid' : ''}`}>
          <span className="label" id={`${id}-label`}>
            {f.label}
            {f.required && <span className="req" aria-hidden="true">*</span>}
          </span>
          <TagInput
            id={id}
            labelledBy={`${id}-label`}
            values={Array.isArray(value) ? value.map(String) : typeof value === 'string' && value ? value.split(',').map((s) => s.trim()) : []}
            onChange={(vals) => onChange(f.itemType === 'number' ? vals.map(Number) : vals)}
            placeholder={f.placeholder ?? 'Type and press Enter'}
            disabled={disabled}
          />
          {help}
          {err}
        </div>
      )
    case 'object':
      return (
        <fieldset className="sub">
          <legend>{f.label}</legend>
          {help}
          <SchemaFields
            fields={f.fields ?? []}
            values={(value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Values}
            onChange={onChange}
            errors={errors}
            prefix={path + '.'}
            disabled={disabled}
          />
        </fieldset>
      )
    case 'object-list': {
      const list = Array.isArray(value) ? (value as Values[]) : []
      return (
        <fieldset className="sub">
          <legend>{f.label}</legend>
          {help}
          {list.map((item, i) => (
            <fieldset className="sub" key={i}>
              <legend>
                {f.label} #{i + 1}{' '}
                <button type="button" className="btn sm ghost danger" aria-label={`Remove ${f.label} #${i + 1}`} onClick={() => onChange(list.filter((_, j) => j !== i))} disabled={disabled}>
                  <Icon name="trash" size={12} />
                </button>
              </legend>
              <SchemaFields
                fields={f.fields ?? []}
                values={item && typeof item === 'object' ? item : {}}
                onChange={(v) => onChange(list.map((x, j) => (j === i ? v : x)))}
                errors={errors}
                prefix={`${path}.${i}.`}
                disabled={disabled}
              />
            </fieldset>
          ))}
          <div>
            <button type="button" className="btn sm" onClick={() => onChange([...list, {}])} disabled={disabled}>
              <Icon name="plus" size={12} /> Add {f.label.toLowerCase()}
            </button>
          </div>
        </fieldset>
      )
    }
    case 'json':
      return <JsonField f={f} common={common} label={label} help={help} err={err} value={value} onChange={onChange} />
    default:
      return (
        <div className={`field${error ? ' invalid' : ''}`}>
          {label}
          <input className="input" type="text" {...common} placeholder={f.placeholder} value={str(value)} onChange={(e) => onChange(e.target.value)} autoComplete="off" />
          {help}
          {err}
        </div>
      )
  }
}

function str(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

function PasswordField({ f, common, label, help, err, value, onChange }: { f: FormField; common: Record<string, unknown>; label: React.ReactNode; help: React.ReactNode; err: React.ReactNode; value: unknown; onChange: (v: unknown) => void }) {
  const [show, setShow] = useState(false)
  const redacted = typeof value === 'string' && value.startsWith('••')
  return (
    <div className={`field${err ? ' invalid' : ''}`}>
      {label}
      <div style={{ display: 'flex', gap: 6 }}>
        <input
          className="input"
          style={{ flex: 1 }}
          type={show ? 'text' : 'password'}
          {...common}
          placeholder={redacted ? `Unchanged (${value})` : f.placeholder}
          value={redacted ? '' : str(value)}
          onChange={(e) => onChange(e.target.value === '' && redacted ? value : e.target.value)}
          autoComplete="new-password"
        />
        <button type="button" className="btn" onClick={() => setShow(!show)} aria-label={show ? "Hide secret" : "Show secret"} aria-controls={String(common.id)}>
          {show ? 'Hide' : 'Show'}
        </button>
      </div>
      {redacted && <span className="help">Stored secret kept unless you type a new one.</span>}
      {help}
      {err}
    </div>
  )
}

function JsonField({ f, common, label, help, err, value, onChange }: { f: FormField; common: Record<string, unknown>; label: React.ReactNode; help: React.ReactNode; err: React.ReactNode; value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(() => (value === undefined || value === '' ? '' : JSON.stringify(value, null, 2)))
  const [bad, setBad] = useState(false)
  return (
    <div className={`field${err || bad ? ' invalid' : ''}`}>
      {label}
      <textarea
        className="textarea"
        {...common}
        placeholder={f.placeholder ?? '{ }'}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          try {
            onChange(e.target.value.trim() ? JSON.parse(e.target.value) : undefined)
            setBad(false)
          } catch {
            setBad(true)
          }
        }}
      />
      {bad && <span className="err-text">Not valid JSON yet</span>}
      {help}
      {err}
    </div>
  )
}

export function TagInput({
  id,
  values,
  onChange,
  placeholder,
  labelledBy,
  label,
  disabled,
}: {
  id?: string
  values: string[]
  onChange: (v: string[]) => void
  placeholder?: string
  labelledBy?: string
  label?: string
  disabled?: boolean
}) {
  const [text, setText] = useState('')
  const add = (raw: string) => {
    const parts = raw.split(',').map((s) => s.trim()).filter(Boolean)
    if (!parts.length) return
    onChange([...values, ...parts.filter((p) => !values.includes(p))])
    setText('')
  }
  return (
    <div className="tag-input">
      {values.map((v) => (
        <span key={v} className="chip">
          {v}
          <button type="button" className="x" aria-label={`Remove ${v}`} onClick={() => onChange(values.filter((x) => x !== v))} disabled={disabled}>×</button>
        </span>
      ))}
      <input
        id={id}
        aria-labelledby={labelledBy}
        aria-label={labelledBy ? undefined : label}
        value={text}
        placeholder={values.length ? '' : placeholder}
        disabled={disabled}
        onChange={(e) => {
          if (e.target.value.endsWith(',')) add(e.target.value)
          else setText(e.target.value)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            add(text)
          } else if (e.key === 'Backspace' && !text && values.length) {
            onChange(values.slice(0, -1))
          }
        }}
        onBlur={() => add(text)}
      />
    </div>
  )
}
