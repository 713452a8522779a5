// The row's "fields shown in the list" menu: pinning is discoverable from the
// list itself, not only from the detail panel's pin icons.
import type { PainEvent } from '../api/types'
import { setFieldVisible } from '../lib/fieldVisibility'
import { humanizeKey } from '../lib/jsonRules'
import { useConnector } from './connectors'
import { Icon, usePopover } from './ui'

export function RowFieldsMenu({ ev, pinned }: { ev: PainEvent; pinned: string[] }) {
  const { open, setOpen, ref } = usePopover()
  const meta = useConnector()(ev.connector)
  const keys = ev.data && typeof ev.data === 'object' ? Object.keys(ev.data) : []
  if (!keys.length) return null
  return (
    <div className="pop-anchor row-pin" ref={ref} onClick={(e) => e.stopPropagation()}>
      <button
        type="button"
        className={`btn ghost icon sm pin-btn${pinned.length ? ' on' : ''}`}
        aria-label="Choose fields shown in the list"
        title={`Show data fields in the list for ${meta.name}${ev.kind ? ` ${ev.kind}` : ''} events`}
        aria-expanded={open}
        data-testid="row-pin"
        onClick={() => setOpen(!open)}
      >
        <Icon name="pin" size={13} />
      </button>
      {open && (
        <div className="popover right" role="dialog" aria-label="Fields shown in the list" data-testid="row-pin-menu">
          <div className="faint small" style={{ padding: '2px 8px 4px' }}>
            Show in the list for {meta.name}{ev.kind ? ` ${ev.kind}` : ''}
          </div>
          <div className="opts">
            {keys.map((k) => (
              <label className="opt" key={k}>
                <input type="checkbox" checked={pinned.includes(k)} onChange={(e) => setFieldVisible(ev.connector, ev.kind, k, e.target.checked)} />
                {humanizeKey(k)}
              </label>
            ))}
          </div>
        </div>
      )}
    </div>
  )
}
