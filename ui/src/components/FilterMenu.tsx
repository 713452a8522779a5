import { useMemo, useState } from 'react'
import { Icon, usePopover } from './ui'

export interface Option {
  value: string
  label?: string
  count?: number
  color?: string
}

export function FilterMenu({
  label,
  values,
  options,
  onChange,
  allowCustom = true,
  placeholder,
  testId,
}: {
  label: string
  values: string[]
  options: Option[]
  onChange: (values: string[]) => void
  allowCustom?: boolean
  placeholder?: string
  testId?: string
}) {
  const { open, setOpen, ref } = usePopover()
  const [q, setQ] = useState('')
  const [hl, setHl] = useState(0)
  const all = useMemo(() => {
    const seen = new Set<string>()
    const out: Option[] = []
    for (const v of values) if (!seen.has(v)) (seen.add(v), out.push(options.find((o) => o.value === v) ?? { value: v }))
    for (const o of options) if (!seen.has(o.value)) (seen.add(o.value), out.push(o))
    return out
  }, [options, values])
  const shown = all.filter((o) => !q || (o.label ?? o.value).toLowerCase().includes(q.toLowerCase()) || o.value.toLowerCase().includes(q.toLowerCase()))
  const canAdd = allowCustom && q.trim() && !all.some((o) => o.value === q.trim())
  const toggle = (v: string) => onChange(values.includes(v) ? values.filter((x) => x !== v) : [...values, v])
  const summary = values.length === 0 ? '' : values.length === 1 ? (all.find((o) => o.value === values[0])?.label ?? values[0]) : `${values.length}`
  return (
    <div className="pop-anchor" ref={ref}>
      <button
        type="button"
        className={`btn filter-btn${values.length ? ' has' : ''}`}
        aria-haspopup="listbox"
        aria-expanded={open}
        aria-label={`Filter by ${label.toLowerCase()}${values.length ? `: ${values.join(', ')}` : ''}`}
        data-testid={testId}
        onClick={() => {
          setOpen(!open)
          setQ('')
          setHl(0)
        }}
      >
        {label}
        {summary && (values.length === 1 ? <span style={{ maxWidth: 140, overflow: 'hidden', textOverflow: 'ellipsis' }}>: {summary}</span> : <span className="count">{summary}</span>)}
        <Icon name="caret" size={11} />
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label={`${label} filter`}>
          <input
            className="input"
            style={{ width: '100%' }}
            autoFocus
            placeholder={placeholder ?? `Search ${label.toLowerCase()}…`}
            aria-label={`Search ${label.toLowerCase()} values`}
            value={q}
            onChange={(e) => {
              setQ(e.target.value)
              setHl(0)
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') {
                e.preventDefault()
                setHl((h) => Math.min(h + 1, shown.length - 1 + (canAdd ? 1 : 0)))
              } else if (e.key === 'ArrowUp') {
                e.preventDefault()
                setHl((h) => Math.max(0, h - 1))
              } else if (e.key === 'Enter') {
                e.preventDefault()
                if (hl < shown.length) toggle(shown[hl].value)
                else if (canAdd) {
                  toggle(q.trim())
                  setQ('')
                }
              }
            }}
          />
          <div className="opts" role="listbox" aria-multiselectable="true" aria-label={`${label} values`}>
            {shown.map((o, i) => (
              <label key={o.value} className={`opt${i === hl ? ' hl' : ''}`} role="option" aria-selected={values.includes(o.value)}>
                <input type="checkbox" checked={values.includes(o.value)} onChange={() => toggle(o.value)} />
                {o.color && <i className="dot" style={{ background: o.color }} />}
                <span style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{o.label ?? o.value}</span>
                {o.count != null && <span className="n">{o.count}</span>}
              </label>
            ))}
            {canAdd && (
              <div
                className={`opt${hl === shown.length ? ' hl' : ''}`}
                role="option"
                aria-selected={false}
                onClick={() => {
                  toggle(q.trim())
                  setQ('')
                }}
              >
                <Icon name="plus" size={12} /> Add “{q.trim()}”
              </div>
            )}
            {!shown.length && !canAdd && <div className="empty">No values yet</div>}
          </div>
          {values.length > 0 && (
            <div className="foot">
              <button type="button" className="btn sm ghost" onClick={() => onChange([])}>
                Clear
              </button>
              <button type="button" className="btn sm" onClick={() => setOpen(false)}>
                Done
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  )
}
