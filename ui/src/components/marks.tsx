// Simplified, recognisable marks for well-known connectors (inline SVG, white
// on the connector's colour). Not the official logos — shapes that read at
// 16–22 px: the octocat, the tanuki, the helm wheel, the Terraform blocks,
// the git branch diamond.
import type { ReactNode } from 'react'

const svg = (children: ReactNode, viewBox = '0 0 16 16') => (
  <svg viewBox={viewBox} width="70%" height="70%" aria-hidden="true" fill="#fff">
    {children}
  </svg>
)

export const MARKS: Record<string, ReactNode> = {
  github: svg(
    <path d="M8 .8a7.2 7.2 0 0 0-2.28 14.03c.36.07.5-.16.5-.35v-1.24c-2 .44-2.42-.96-2.42-.96-.33-.84-.8-1.06-.8-1.06-.65-.45.05-.44.05-.44.72.05 1.1.74 1.1.74.65 1.1 1.69.78 2.1.6.07-.47.25-.78.46-.96-1.6-.18-3.28-.8-3.28-3.55 0-.79.28-1.43.74-1.93-.07-.18-.32-.91.07-1.9 0 0 .6-.2 1.98.73a6.8 6.8 0 0 1 3.6 0c1.37-.93 1.97-.73 1.97-.73.4.99.15 1.72.07 1.9.46.5.74 1.14.74 1.93 0 2.76-1.68 3.37-3.29 3.55.26.22.49.66.49 1.33v1.97c0 .19.13.42.5.35A7.2 7.2 0 0 0 8 .8z" />,
  ),
  gitlab: svg(<path d="M8 14.6 10.6 6.6H5.4zM8 14.6 5.4 6.6H1.8zM1.8 6.6l-.8 2.4c-.07.22 0 .46.2.6L8 14.6zM1.8 6.6h3.6L3.85 1.83c-.08-.25-.43-.25-.51 0zM8 14.6l2.6-8h3.6zM14.2 6.6l.8 2.4c.07.22 0 .46-.2.6L8 14.6zM14.2 6.6h-3.6l1.55-4.77c.08-.25.43-.25.51 0z" />),
  kubernetes: svg(
    <g fill="none" stroke="#fff" strokeWidth="1.5" strokeLinecap="round">
      <circle cx="8" cy="8" r="2.6" />
      <path d="M8 1.8v3.6M8 10.6v3.6M2.1 6.1l3.4 1.1M10.5 8.8l3.4 1.1M4.1 13l2.1-2.9M9.8 5.9l2.1-2.9M4.1 3l2.1 2.9M9.8 10.1l2.1 2.9" />
    </g>,
  ),
  terraform: svg(<path d="M5.9 2.6 9.6 4.7v4.3L5.9 6.9zM10.2 4.7l3.7-2.1v4.3l-3.7 2.1zM1.6.2l3.7 2.1v4.3L1.6 4.5zM5.9 7.6l3.7 2.1V14L5.9 11.9z" />),
  git: svg(
    <path d="M15.7 7.3 8.7.3a1 1 0 0 0-1.4 0L5.8 1.8l1.85 1.85a1.2 1.2 0 0 1 1.5 1.53l1.78 1.78a1.2 1.2 0 1 1-.72.68L8.55 5.98v4.37a1.2 1.2 0 1 1-.99-.04V5.9a1.2 1.2 0 0 1-.65-1.57L5.08 2.5.3 7.3a1 1 0 0 0 0 1.4l7 7a1 1 0 0 0 1.4 0l7-7a1 1 0 0 0 0-1.4z" />,
  ),
}
