import type { StreamState } from '../api/stream'

export function ListStatus({
  liveView,
  streamState,
  shown,
  total,
  widenedFrom,
}: {
  liveView: boolean
  streamState: StreamState
  shown: number
  total?: number
  /** Set when the first screen was widened because the default range was empty. */
  widenedFrom: string | null
}) {
  return (
    <div className="list-status" aria-live="polite">
      <span>
        <span className={`live-dot${streamState === 'open' ? ' on' : streamState === 'error' ? ' err' : ''}`} />
        {!liveView ? 'Paused (range ends in the past)' : streamState === 'open' ? 'Live' : streamState === 'error' ? 'Reconnecting…' : 'Connecting…'}
      </span>
      {shown > 0 && (
        <span>
          Showing {shown.toLocaleString()}
          {total != null && total > shown ? ` of ${total.toLocaleString()}` : ''}
        </span>
      )}
      {widenedFrom && (
        <span className="widened" data-testid="widened-note">
          Nothing in the last {widenedFrom === '7d' ? '7 days' : widenedFrom}: widened to the newest events
        </span>
      )}
      <span style={{ flex: 1 }} />
      <span className="faint small wide-only">
        <span className="kbd">j</span> <span className="kbd">k</span> move · <span className="kbd">Enter</span> open · <span className="kbd">Esc</span> close
      </span>
    </div>
  )
}
