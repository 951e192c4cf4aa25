// The signed-in user and their API keys: a key is shown whole once, when it is made.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { useResource } from '../hooks.js';
import { Empty, Field, Loading, PageHeader, ProblemBanner, Section, TableWrap, Time, useSubmit } from '../ui.jsx';

export default function Account({ user }) {
  const keys = useResource(() => api('GET', '/api/v1/auth/api-keys'), []);
  const [created, setCreated] = useState(null);
  const [problem, setProblem] = useState(null);
  const create = useSubmit(async (values, form) => {
    const scopes = values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
    setCreated(await api('POST', '/api/v1/auth/api-keys', { body: { name: values.name, scopes } }));
    form.reset();
    keys.reload();
  });
  const revoke = async (key) => {
    if (!confirm(`Revoke the key "${key.name}"? Clients using it stop working.`)) return;
    setProblem(null);
    try {
      await api('DELETE', `/api/v1/auth/api-keys/${encodeURIComponent(key.id)}`);
      keys.reload();
    } catch (error) {
      setProblem(error);
    }
  };
  const items = keys.data?.items ?? [];
  return (
    <>
      <PageHeader title="Account" />
      <Section title="You">
        <dl class="grid">
          <div><dt class="muted">Name</dt><dd>{user.name}</dd></div>
          <div><dt class="muted">E-mail</dt><dd>{user.email}</dd></div>
          <div><dt class="muted">Role</dt><dd>{user.role}</dd></div>
          <div><dt class="muted">Member since</dt><dd><Time iso={user.created_at} /></dd></div>
        </dl>
      </Section>
      <Section title="API keys">
        <p class="muted">
          A key works like your sign-in for programs: send it as <code>Authorization: Bearer KEY</code>. Scopes limit
          it (for example <code>siprems</code>); none means every route you can use.
        </p>
        <form class="row" onSubmit={create.onSubmit}>
          <Field label="Name" name="name" required error={create.problem?.field?.('name')} />
          <Field label="Scopes (comma separated)" name="scopes" error={create.problem?.field?.('scopes')} />
          <div class="field">
            <button class="primary" disabled={create.busy}>Create a key</button>
          </div>
        </form>
        <ProblemBanner problem={create.problem} shown={['name', 'scopes']} />
        {created && (
          <div class="notice" role="status">
            <p>
              The key <strong>{created.name}</strong> — copy it now, it is not shown again:
            </p>
            <code class="secret" data-testid="new-key">{created.key}</code>
          </div>
        )}
        <ProblemBanner problem={problem ?? keys.error} />
        {keys.loading && !keys.data ? (
          <Loading what="keys" />
        ) : items.length === 0 ? (
          <Empty>No keys yet.</Empty>
        ) : (
          <TableWrap label="API keys">
            <table>
              <thead>
                <tr><th>Name</th><th>Starts with</th><th>Scopes</th><th>Created</th><th>Last used</th><th><span class="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {items.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td><code>{key.prefix}</code></td>
                    <td>{key.scopes.length ? key.scopes.join(', ') : <span class="muted">all</span>}</td>
                    <td><Time iso={key.created_at} /></td>
                    <td><Time iso={key.last_used_at} /></td>
                    <td><button type="button" class="danger" onClick={() => revoke(key)}>Revoke</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
    </>
  );
}
