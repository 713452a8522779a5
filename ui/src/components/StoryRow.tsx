// One change story (PR → push → CI → image → deploy) as a collapsible row:
// each step as a small chip with its status colour.
import { Fragment } from 'react'
import type { Story } from '../lib/stories'
import { stage } from '../lib/stories'
import { statusTone } from '../lib/jsonRules'
import { ConnectorMark } from './connectors'
import { ClockTime, Icon, StatusBadge } from './ui'

const STAGE_LABEL: Record<string, string> = {
  pr: 'PR', push: 'push', ci: 'CI', image: 'image', deploy: 'deploy', release: 'release', config: 'config', incident: 'incident', other: 'event',
}

export function StoryRow({ story, collapsed, top, height, onToggle }: { story: Story; collapsed: boolean; top: number; height: number; onToggle: () => void }) {
  const newest = story.steps[story.steps.length - 1]
  const first = story.steps[0]
  const title = story.steps.find((e) => stage(e) === 'pr')?.title ?? first.title
  return (
    <button
      type="button"
      className={`row story${story.status === 'failure' ? ' failure' : ''}`}
      style={{ transform: `translateY(${top}px)`, height }}
      aria-expanded={!collapsed}
      aria-label={`Change: ${title}, ${story.steps.length} steps`}
      data-testid="story-row"
      data-story={story.key}
      onClick={onToggle}
    >
      <span className="stripe" />
      <span className="caret"><Icon name="caret" size={12} /></span>
      <div className="main-col">
        <div className="title" title={title}>{title}</div>
        <ol className="steps" aria-label="Steps">
          {story.steps.map((e, i) => (
            <Fragment key={e.id}>
              {i > 0 && <li className="step-arrow" aria-hidden="true">→</li>}
              <li className={`step ${e.status ? statusTone(e.status) : 'neutral'}`} title={`${e.title}${e.status ? ` — ${e.status}` : ''}`} data-testid="story-step">
                <ConnectorMark id={e.connector} size="sm" />
                {STAGE_LABEL[stage(e)]}
                {e.status && <span className="sr-only"> {e.status}</span>}
              </li>
            </Fragment>
          ))}
        </ol>
      </div>
      <div className="right">
        <span className="faint small">{story.steps.length} steps</span>
        {story.status !== 'unknown' && <StatusBadge status={story.status} />}
      </div>
      <ClockTime iso={newest.timestamp} />
    </button>
  )
}
