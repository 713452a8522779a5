import { useState } from 'react'
import { NavLink } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage } from '../api/client'
import { keys, useTeams } from '../api/hooks'
import type { Team } from '../api/types'
import { TagInput } from '../components/SchemaForm'
import { ConfirmDialog, Icon, Modal } from '../components/ui'
import { Unavailable } from './common'
export function TeamsSection() {
  const teams = useTeams()
  const qc = useQueryClient()
  const [editing, setEditing] = useState<Team | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Team | null>(null)
  const del = useMutation({
    mutationFn: (id: string) => api.del(`/api/teams/${encodeURIComponent(id)}`),
    onSuccess: () => {
      setDeleting(null)
      qc.invalidateQueries({ queryKey: keys.teams })
    },
  })
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Teams</h1>
          <p>A team is a named set of tags. Filtering the timeline by a team shows events carrying any of its tags.</p>
        </div>
        <button className="btn primary" onClick={() => setEditing('new')} data-testid="add-team">
          <Icon name="plus" /> New team
        </button>
      </div>
      {teams.error && <Unavailable error={teams.error} what="Teams" />}
      {teams.data && teams.data.length === 0 && (
        <div className="card empty-card" data-testid="empty-teams">
          <b>No teams yet.</b>
          <p className="muted">
            A team turns “whose change was this?” into one click: it is a name for a set of tags, and the timeline’s Team
            filter shows every event carrying any of them — or coming from an integration tagged with them.
          </p>
          <p className="muted">
            Example: a team <code>payments</code> with the tags <code>payments</code> and <code>checkout</code>. Tag the
            payments repositories’ integrations with <code>payments</code>, and <code>/?team=payments</code> shows their
            PRs, CI runs and deploys together.
          </p>
          <button className="btn" onClick={() => setEditing('new')}>Create a team</button>
        </div>
      )}
      {teams.data && teams.data.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Teams">
            <thead>
              <tr>
                <th>Team</th>
                <th>Tags</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {teams.data.map((t) => (
                <tr key={t.id} data-testid="team-row">
                  <td style={{ fontWeight: 600 }}>{t.name}</td>
                  <td>
                    <div className="chips">{t.tags.map((g) => <span key={g} className="chip">{g}</span>)}</div>
                  </td>
                  <td>
                    <div className="actions">
                      <NavLink className="btn sm" to={`/?team=${encodeURIComponent(t.name)}`}>Timeline</NavLink>
                      <button className="btn sm" onClick={() => setEditing(t)} aria-label={`Edit team ${t.name}`}>Edit</button>
                      <button className="btn sm danger" onClick={() => setDeleting(t)} aria-label={`Delete team ${t.name}`}><Icon name="trash" size={12} /></button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && <TeamForm team={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete team “${deleting.name}”?`}
          message={<p>Events are not affected; links filtered by this team stop matching.</p>}
          confirmLabel="Delete team"
          busy={del.isPending}
          error={del.error ? errorMessage(del.error) : null}
          onCancel={() => setDeleting(null)}
          onConfirm={() => del.mutate(deleting.id)}
        />
      )}
    </>
  )
}

function TeamForm({ team, onClose }: { team?: Team; onClose: () => void }) {
  const qc = useQueryClient()
  const [name, setName] = useState(team?.name ?? '')
  const [tags, setTags] = useState<string[]>(team?.tags ?? [])
  const save = useMutation({
    mutationFn: () =>
      team
        ? api.put<Team>(`/api/teams/${encodeURIComponent(team.id)}`, { name: name.trim(), tags })
        : api.post<Team>('/api/teams', { name: name.trim(), tags }),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: keys.teams })
      onClose()
    },
  })
  return (
    <Modal
      title={team ? `Edit team ${team.name}` : 'New team'}
      onClose={onClose}
      labelledBy="team-form-title"
      footer={
        <>
          {save.error && <span className="err-text" style={{ marginRight: 'auto' }} role="alert">{(save.error as ApiError).status === 409 ? 'A team with this name already exists.' : errorMessage(save.error)}</span>}
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="team-form" disabled={!name.trim() || save.isPending}>Save team</button>
        </>
      }
    >
      <form
        id="team-form"
        className="form"
        onSubmit={(e) => {
          e.preventDefault()
          if (name.trim()) save.mutate()
        }}
      >
        <div className="field">
          <label htmlFor="team-name">Team name</label>
          <input id="team-name" className="input" value={name} onChange={(e) => setName(e.target.value)} autoFocus placeholder="payments" />
        </div>
        <div className="field">
          <span className="label" id="team-tags-label">Tags</span>
          <TagInput id="team-tags" labelledBy="team-tags-label" values={tags} onChange={setTags} placeholder="payments" />
          <span className="help">Type a tag and press Enter (or a comma) to add it. Events whose tags — or whose integration’s tags — include any of these belong to the team.</span>
        </div>
      </form>
    </Modal>
  )
}
