// A config change's before → after, shown expanded in the detail panel.
import type { ConfigChange } from '../lib/evidence'

const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v))

export function ConfigDiff({ changes }: { changes: ConfigChange[] }) {
  return (
    <div className="jv-table-wrap">
      <table className="jv-table diff" data-testid="config-diff">
        <thead>
          <tr>
            <th>Key</th>
            <th>Before</th>
            <th>After</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((c) => (
            <tr key={c.key}>
              <td><code>{c.key}</code></td>
              <td className="before">{c.before === undefined ? <span className="faint">—</span> : show(c.before)}</td>
              <td className="after">{c.after === undefined ? <span className="faint">removed</span> : show(c.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
