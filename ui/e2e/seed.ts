// Realistic change events for the e2e tests and screenshots.

const H = 3600e3
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString()

export const SHA_MERGE = '9fceb02d0ae598e95dc970b74767f19372d61af8'
export const SHA_PUSH = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

export const GITHUB_TYPE = {
  id: 'github',
  displayName: 'GitHub',
  color: '#6e5494',
  logo: 'data:image/svg+xml;base64,' +
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#24292f"/><path fill="#fff" d="M8 2.5a5.5 5.5 0 0 0-1.74 10.72c.28.05.38-.12.38-.27v-.95c-1.53.33-1.85-.74-1.85-.74-.25-.64-.61-.81-.61-.81-.5-.34.04-.33.04-.33.55.04.84.57.84.57.49.84 1.29.6 1.6.46.05-.36.19-.6.35-.74-1.22-.14-2.5-.61-2.5-2.71 0-.6.21-1.09.57-1.47-.06-.14-.25-.7.05-1.46 0 0 .46-.15 1.51.56a5.2 5.2 0 0 1 2.75 0c1.05-.71 1.51-.56 1.51-.56.3.76.11 1.32.05 1.46.35.38.57.87.57 1.47 0 2.11-1.29 2.57-2.51 2.71.2.17.37.5.37 1.01v1.5c0 .15.1.32.38.27A5.5 5.5 0 0 0 8 2.5z"/></svg>',
    ).toString('base64'),
  description: 'Pull requests, pushes, releases and Actions runs from GitHub repositories.',
  configSchema: {
    fields: [
      { key: 'name', label: 'Connection Name', type: 'text', placeholder: 'Production GitHub', required: true },
      { key: 'token', label: 'Personal Access Token', type: 'password', placeholder: 'ghp_…', required: true, help: 'Needs repo and workflow scopes' },
      { key: 'repos', label: 'Repositories', type: 'textarea', placeholder: 'acme/api\nacme/web', help: 'One owner/repo per line; empty = all accessible' },
      { key: 'pollInterval', label: 'Poll Interval (seconds)', type: 'number', default: '300', min: 60, max: 3600, required: true },
      { key: 'enterprise', label: 'GitHub Enterprise Server', type: 'checkbox' },
    ],
  },
}

export const KUBE_TYPE = {
  id: 'kubernetes',
  displayName: 'Kubernetes',
  color: '#326ce5',
  description: 'Rollouts, scaling and failing pods from Kubernetes clusters.',
  configSchema: {
    type: 'object',
    required: ['name', 'cluster'],
    properties: {
      name: { type: 'string', title: 'Name' },
      cluster: { type: 'string', title: 'Cluster name', description: 'Shown as the project of each event' },
      server: { type: 'string', format: 'uri', title: 'API server URL' },
      bearerToken: { type: 'string', 'x-secret': true, title: 'Service account token' },
      namespaces: { type: 'array', items: { type: 'string' }, title: 'Namespaces', description: 'Empty = all' },
      tags: { type: 'array', items: { type: 'string' } },
      tls: {
        type: 'object',
        title: 'TLS',
        properties: { insecureSkipVerify: { type: 'boolean', title: 'Skip certificate verification' }, caFile: { type: 'string', title: 'CA file' } },
      },
      polling: { type: 'object', properties: { interval: { type: 'integer', minimum: 10, title: 'Interval (s)' } } },
    },
  },
}

export function realisticEvents(): Record<string, unknown>[] {
  return [
    {
      title: 'Merged PR #1423: Add retry budget to payment client',
      connector: 'github',
      project: 'acme/payments-api',
      timestamp: iso(0.4 * H),
      externalId: 'gh-pr-1423-merged',
      kind: 'change.merged',
      status: 'success',
      actor: 'octocat',
      url: 'https://github.com/acme/payments-api/pull/1423',
      tags: ['payments', 'backend'],
      refs: [
        { type: 'commit', value: SHA_MERGE },
        { type: 'pr', value: 'acme/payments-api#1423' },
      ],
      data: {
        action: 'closed',
        merged: true,
        number: 1423,
        html_url: 'https://github.com/acme/payments-api/pull/1423',
        merged_at: iso(0.4 * H),
        merge_commit_sha: SHA_MERGE,
        base: 'main',
        head: 'feat/retry-budget',
        user: { login: 'octocat', avatar_url: 'https://avatars.githubusercontent.com/u/583231' },
        merged_by: 'hubot',
        reviewers: ['alice', 'bob'],
        additions: 214,
        deletions: 37,
        labels: ['payments', 'reliability'],
        commits: [
          { sha: '1f3a9c2e4b5d6a7f8091a2b3c4d5e6f708192a3b', message: 'Add retry budget', author: 'octocat' },
          { sha: '2e4b6d8f0a1c3e5f7092b4d6f8a0c2e4f6081a3c', message: 'Tests for budget exhaustion', author: 'octocat' },
        ],
      },
    },
    {
      title: 'CI failed on main: build-and-test',
      connector: 'github',
      project: 'acme/payments-api',
      timestamp: iso(0.3 * H),
      externalId: 'gh-run-88123-failure',
      kind: 'pipelinerun.finished',
      status: 'failure',
      actor: 'hubot',
      environment: 'ci',
      url: 'https://github.com/acme/payments-api/actions/runs/88123',
      tags: ['payments'],
      refs: [{ type: 'commit', value: SHA_MERGE }],
      data: {
        workflow: 'build-and-test',
        run_number: 812,
        conclusion: 'failure',
        head_sha: SHA_MERGE,
        head_branch: 'main',
        started_at: iso(0.35 * H),
        completed_at: iso(0.3 * H),
        jobs: [
          { name: 'lint', conclusion: 'success', duration_s: 41 },
          { name: 'unit', conclusion: 'failure', duration_s: 212 },
          { name: 'integration', conclusion: 'cancelled', duration_s: 3 },
        ],
        triggering_actor: 'hubot',
      },
    },
    {
      title: 'Deployed payments-api v2.14.0 to production',
      connector: 'kubernetes',
      project: 'prod-eu-1/payments',
      timestamp: iso(0.2 * H),
      externalId: 'k8s-rollout-payments-2.14.0',
      kind: 'service.deployed',
      status: 'success',
      actor: 'argo-bot',
      environment: 'production',
      service: 'payments-api',
      tags: ['payments', 'prod'],
      refs: [
        { type: 'commit', value: SHA_MERGE },
        { type: 'image', value: 'ghcr.io/acme/payments-api:2.14.0' },
        { type: 'version', value: 'v2.14.0' },
      ],
      data: {
        namespace: 'payments',
        deployment: 'payments-api',
        image: 'ghcr.io/acme/payments-api:2.14.0',
        revision: 57,
        replicas: { desired: 6, updated: 6, ready: 6 },
        strategy: 'RollingUpdate',
        rollout_status: 'complete',
        started_at: iso(0.25 * H),
      },
    },
    {
      title: 'Pod payments-api-7d9f8-xk2p4 CrashLoopBackOff',
      connector: 'kubernetes',
      project: 'prod-eu-1/payments',
      timestamp: iso(0.1 * H),
      externalId: 'k8s-pod-failed-xk2p4',
      kind: 'pod.failed',
      status: 'error',
      environment: 'production',
      service: 'payments-api',
      tags: ['payments', 'prod'],
      data: { namespace: 'payments', pod: 'payments-api-7d9f8-xk2p4', reason: 'CrashLoopBackOff', restarts: 7, exit_code: 137, last_state: 'OOMKilled' },
    },
    {
      title: 'Pushed 3 commits to main',
      connector: 'git',
      project: 'acme/web',
      timestamp: iso(2 * H),
      externalId: 'git-push-web-1',
      kind: 'branch.pushed',
      actor: 'alice',
      tags: ['frontend'],
      refs: [{ type: 'commit', value: SHA_PUSH }],
      data: { branch: 'main', before: '0000000000000000000000000000000000000000', after: SHA_PUSH, commits: 3, author: 'alice', compare: 'https://github.com/acme/web/compare/abc123...4b825dc' },
    },
    {
      title: 'Release v5.2.0 published',
      connector: 'github',
      project: 'acme/web',
      timestamp: iso(5 * H),
      externalId: 'gh-release-web-5.2.0',
      kind: 'release.published',
      status: 'success',
      actor: 'alice',
      url: 'https://github.com/acme/web/releases/tag/v5.2.0',
      tags: ['frontend'],
      refs: [{ type: 'version', value: 'v5.2.0' }],
      data: { tag_name: 'v5.2.0', name: 'Spring release', prerelease: false, body: 'Highlights:\n- New checkout flow\n- Faster search' },
    },
  ]
}

/** Background noise: pushes and CI runs spread over the last 6 days. */
export function fillerEvents(n: number): Record<string, unknown>[] {
  const projects = ['acme/api', 'acme/web', 'acme/infra', 'acme/mobile', 'acme/payments-api']
  const actors = ['alice', 'bob', 'carol', 'dave', 'erin']
  const out: Record<string, unknown>[] = []
  for (let i = 0; i < n; i++) {
    const p = projects[i % projects.length]
    const ci = i % 3 === 0
    const failed = ci && i % 7 === 0
    out.push({
      title: ci ? `Workflow ${failed ? 'failed' : 'succeeded'}: test (#${1000 + i})` : `Pushed ${1 + (i % 4)} commit${i % 4 ? 's' : ''} to ${i % 5 ? 'main' : 'release/5.x'}`,
      connector: ci ? 'github' : 'git',
      project: p,
      timestamp: iso(6 * H + (i * 6 * 24 * H) / n),
      externalId: `filler-${i}`,
      kind: ci ? 'pipelinerun.finished' : 'branch.pushed',
      status: ci ? (failed ? 'failure' : 'success') : undefined,
      actor: actors[i % actors.length],
      tags: [p.split('/')[1]],
      data: ci ? { workflow: 'test', run_number: 1000 + i, conclusion: failed ? 'failure' : 'success' } : { branch: 'main', commits: 1 + (i % 4), after: (i.toString(16).padStart(8, '0') + SHA_PUSH).slice(0, 40) },
    })
  }
  return out
}

export const SHA_STORY = 'c0ffee1234567890abcdef1234567890abcdef12'

/**
 * The on-call story: a PR → push → CI → image → deploy chain sharing refs,
 * a config change, then an incident in production an hour later.
 */
export function oncallEvents(): Record<string, unknown>[] {
  const image = 'ghcr.io/acme/checkout:3.8.0'
  return [
    {
      title: 'Merged PR #77: Lower checkout DB pool size',
      connector: 'gitlab', project: 'acme/checkout', timestamp: iso(3.0 * H), externalId: 'oc-pr-77', kind: 'change.merged', status: 'success', actor: 'carol',
      refs: [{ type: 'pr', value: 'acme/checkout!77' }, { type: 'commit', value: SHA_STORY }],
      data: { iid: 77, source_branch: 'pool-size', target_branch: 'main' },
    },
    {
      title: 'Pushed 1 commit to main', connector: 'git', project: 'acme/checkout', timestamp: iso(2.95 * H), externalId: 'oc-push', kind: 'branch.pushed', actor: 'carol',
      refs: [{ type: 'commit', value: SHA_STORY }, { type: 'branch', value: 'main' }], data: { branch: 'main', after: SHA_STORY, commits: 1 },
    },
    {
      title: 'Pipeline #4411 passed', connector: 'gitlab', project: 'acme/checkout', timestamp: iso(2.8 * H), externalId: 'oc-ci', kind: 'pipelinerun.finished', status: 'success',
      refs: [{ type: 'commit', value: SHA_STORY }], data: { pipeline: 4411, duration_s: 512 },
    },
    {
      title: `Image ${image} pushed`, connector: 'gitlab', project: 'acme/checkout', timestamp: iso(2.75 * H), externalId: 'oc-image', kind: 'artifact.published', status: 'success',
      refs: [{ type: 'commit', value: SHA_STORY }, { type: 'image', value: image }], data: { image },
    },
    {
      title: 'Rolled out checkout 3.8.0 to production', connector: 'kubernetes', project: 'prod-eu-1/checkout', timestamp: iso(2.5 * H), externalId: 'oc-deploy', kind: 'service.deployed', status: 'success',
      environment: 'production', service: 'checkout', refs: [{ type: 'image', value: image }],
      data: { deployment: 'checkout', namespace: 'checkout', previous_image: 'ghcr.io/acme/checkout:3.7.2', image, replicas: 4 },
    },
    {
      title: 'Config changed: checkout-db', connector: 'terraform', project: 'acme/infra', timestamp: iso(2.2 * H), externalId: 'oc-config', kind: 'config.changed', status: 'success',
      environment: 'production', service: 'checkout',
      data: { resource: 'aws_db_parameter_group.checkout', changes: { max_connections: { from: 400, to: 100 }, statement_timeout: { from: '30s', to: '5s' } } },
    },
    {
      title: 'Incident: checkout 5xx rate above 5%', connector: 'pagerduty', project: 'checkout', timestamp: iso(1.5 * H), externalId: 'oc-incident', kind: 'incident.detected', status: 'failure',
      environment: 'production', service: 'checkout', url: 'https://acme.pagerduty.com/incidents/P123',
      data: { urgency: 'high', escalation_policy: 'checkout-oncall', event_id: 'a3f9c2e1-5b7d-4e8f-9a0b-1c2d3e4f5a6b-very-long-identifier-that-must-wrap-0123456789abcdef' },
    },
  ]
}

/** Events only older than the default 7-day range (the first-run case). */
export function oldEvents(daysAgo = 10): Record<string, unknown>[] {
  return [0, 1, 2].map((i) => ({
    title: `Old push ${i}`, connector: 'git', project: 'acme/old', timestamp: iso(daysAgo * 24 * H + i * H), externalId: `old-${i}`, kind: 'branch.pushed', data: { branch: 'main' },
  }))
}
