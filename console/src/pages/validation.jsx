// The Live Validation Dashboard: the user's apps (#/validation) and one app (#/validation/app?id=…&view=…) with
// its live traffic, rules, stored and failed events, exports, and settings with the ingest keys.
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Empty, Field, Loading, PageHeader, Pager, ProblemBanner, Section, TableWrap, Tabs, Time, useSubmit } from '../ui.jsx';
import { EventsView } from './validation-events.jsx';
import { ExportsView } from './validation-exports.jsx';
import { LiveView } from './validation-live.jsx';
import { appBase, appHref, count, percent } from './validation-parts.jsx';
import { RulesView } from './validation-rules.jsx';

const PER_PAGE = 20;
const MODES = {
  flag: 'Flag: store invalid events, marked invalid',
  block: 'Block: keep invalid events aside as failed',
};

// Create (no `app`) or edit an app's name and mode.
function AppForm({ app, onSaved, onCancel }) {
  const form = useSubmit(async (values, element) => {
    const body = { name: values.name, mode: values.mode };
    const saved = app ? await api('PATCH', appBase(app.id), { body }) : await api('POST', '/api/v1/apps', { body });
    if (!app) element.reset();
    onSaved(saved);
  });
  const error = (name) => form.problem?.field?.(name);
  return (
    <form onSubmit={form.onSubmit} noValidate aria-label={app ? `Edit ${app.name}` : 'New app'}>
      <div class="row">
        <div style={{ flex: '2 1 14rem' }}>
          <Field label="Name" name="name" required maxLength={100} defaultValue={app?.name} error={error('name')} />
        </div>
        <div style={{ flex: '1 1 14rem' }}>
          <Field label="Invalid events" name="mode" as="select" defaultValue={app?.mode ?? 'flag'} error={error('mode')}>
            {Object.entries(MODES).map(([mode, text]) => <option key={mode} value={mode}>{text}</option>)}
          </Field>
        </div>
        <div class="field row">
          <button class="primary" disabled={form.busy}>{app ? 'Save' : 'Create the app'}</button>
          {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
        </div>
      </div>
      <ProblemBanner problem={form.problem} shown={['name', 'mode']} />
    </form>
  );
}

// An ingest key, shown this once, with how to send events with it.
function NewKey({ secret, what, children }) {
  const example = `curl -X POST ${location.origin}/api/v1/logs \\\n  -H 'Authorization: Bearer ${secret}' \\\n` +
    `  -H 'Content-Type: application/json' \\\n  -d '{"event": "signup", "properties": {"plan": "pro"}}'`;
  return (
    <div class="notice" role="status">
      <p style={{ marginTop: 0 }}>{what} — copy it now, it is not shown again:</p>
      <code class="secret" data-testid="new-ingest-key">{secret}</code>
      {children}
      <details style={{ marginTop: '0.5rem' }}>
        <summary>Send an event with it</summary>
        <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{example}</pre>
      </details>
    </div>
  );
}

function AppsList({ page }) {
  const apps = useResource(() => api('GET', '/api/v1/apps' + query({ page, per_page: PER_PAGE })), [page]);
  const overview = useResource(() => api('GET', '/api/v1/dashboard?window=1h'), []);
  const [created, setCreated] = useState(null);
  const [editing, setEditing] = useState(null);
  const [problem, setProblem] = useState(null);
  const reload = () => {
    apps.reload();
    overview.reload();
  };
  const remove = async (app) => {
    if (!confirm(`Delete "${app.name}" with its keys, rules and events?`)) return;
    setProblem(null);
    try {
      await api('DELETE', appBase(app.id));
      if (created?.id === app.id) setCreated(null);
      reload();
    } catch (error) {
      setProblem(error);
    }
  };

  const totals = Object.fromEntries((overview.data?.apps ?? []).map((a) => [a.id, a.totals]));
  const items = apps.data?.items ?? [];
  return (
    <>
      <PageHeader title="Validation" />
      <Section title="New app">
        <p class="muted" style={{ marginTop: 0 }}>
          An app sends its analytics events to Keel with an ingest key; its rules check each event as it arrives.
        </p>
        <AppForm onSaved={(app) => { setCreated(app); reload(); }} />
        {created && (
          <NewKey secret={created.ingest_key} what={<>The ingest key of <strong>{created.name}</strong></>}>
            <p style={{ marginBottom: 0 }}>
              Next: <a href={appHref(created.id, 'rules')}>write its rules</a> or <a href={appHref(created.id)}>watch it live</a>.
            </p>
          </NewKey>
        )}
      </Section>
      <Section aria-labelledby="apps-title">
        <h2 id="apps-title">Your apps</h2>
        <ProblemBanner problem={problem ?? apps.error ?? overview.error} />
        {apps.loading && !apps.data ? (
          <Loading what="apps" />
        ) : items.length === 0 ? (
          <Empty>No apps yet: create one above.</Empty>
        ) : (
          <TableWrap label="Apps"><table>
            <thead>
              <tr>
                <th>App</th><th>Mode</th><th>Rules</th><th class="num">Events (1 h)</th><th class="num">Invalid</th>
                <th>Created</th><th><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((app) =>
                editing === app.id ? (
                  <tr key={app.id}>
                    <td colSpan={7}>
                      <AppForm app={app} onSaved={() => { setEditing(null); reload(); }} onCancel={() => setEditing(null)} />
                    </td>
                  </tr>
                ) : (
                  <tr key={app.id} data-app={app.name}>
                    <td><a href={appHref(app.id)}><strong>{app.name}</strong></a></td>
                    <td><span class="badge">{app.mode}</span></td>
                    <td>{app.rules_version ? `version ${app.rules_version}` : <a href={appHref(app.id, 'rules')}>none yet</a>}</td>
                    <td class="num">{count(totals[app.id]?.events)}</td>
                    <td class="num">{count(totals[app.id]?.invalid)} <span class="muted">({percent(totals[app.id]?.invalid, totals[app.id]?.events)})</span></td>
                    <td><Time iso={app.created_at} /></td>
                    <td>
                      <div class="row" style={{ flexWrap: 'nowrap' }}>
                        <button type="button" aria-label={`Edit ${app.name}`} onClick={() => setEditing(app.id)}>Edit</button>
                        <button type="button" class="danger" aria-label={`Delete ${app.name}`} onClick={() => remove(app)}>Delete</button>
                      </div>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table></TableWrap>
        )}
        {apps.data && apps.data.total > PER_PAGE && (
          <Pager page={page} perPage={PER_PAGE} total={apps.data.total} onPage={(p) => navigate('/validation', { page: p })} />
        )}
      </Section>
    </>
  );
}

// Name and mode, a new ingest key, and deleting the app.
function SettingsView({ app, onChanged }) {
  const [saved, setSaved] = useState(false);
  const [key, setKey] = useState(null);
  const rotate = useSubmit(async () => {
    setKey(await api('POST', `${appBase(app.id)}/ingest-keys`));
  });
  const [problem, setProblem] = useState(null);
  const remove = async () => {
    if (!confirm(`Delete "${app.name}" with its keys, rules and events?`)) return;
    try {
      await api('DELETE', appBase(app.id));
      navigate('/validation');
    } catch (error) {
      setProblem(error);
    }
  };
  return (
    <>
      <Section title="Name and mode">
        <AppForm key={app.updated_at} app={app} onSaved={() => { setSaved(true); onChanged(); }} />
        {saved && <p class="notice" role="status">Saved.</p>}
      </Section>
      <Section title="Ingest keys">
        <p class="muted" style={{ marginTop: 0 }}>
          Programs send events to <code>POST /api/v1/logs</code> with <code>Authorization: Bearer KEY</code>. A new key
          replaces the current ones; they keep working for a grace period, so senders can switch without losing events.
        </p>
        <form onSubmit={rotate.onSubmit}>
          <button class="primary" disabled={rotate.busy}>Make a new ingest key</button>
        </form>
        <ProblemBanner problem={rotate.problem} />
        {key && (
          <NewKey secret={key.ingest_key} what="The new ingest key">
            <p style={{ marginBottom: 0 }}>
              {key.previous_key_expires_at ? <>The previous keys stop working at <Time iso={key.previous_key_expires_at} />.</> : 'There were no other keys.'}
            </p>
          </NewKey>
        )}
      </Section>
      <Section title="Delete">
        <p class="muted" style={{ marginTop: 0 }}>Deleting the app deletes its keys, rules, events and exports.</p>
        <ProblemBanner problem={problem} />
        <button type="button" class="danger" onClick={remove}>Delete {app.name}</button>
      </Section>
    </>
  );
}

const VIEWS = [
  ['live', 'Live', LiveView],
  ['rules', 'Rules', RulesView],
  ['events', 'Events', EventsView],
  ['exports', 'Exports', ExportsView],
  ['settings', 'Settings', SettingsView],
];

// The views' tabs (styled here: styles.css has no tab bar).

function AppPage({ id, view }) {
  const app = useResource(() => api('GET', appBase(id)), [id]);
  const [, , View] = VIEWS.find(([key]) => key === view) ?? VIEWS[0];
  const current = VIEWS.some(([key]) => key === view) ? view : 'live';
  if (!app.data || app.data.id !== id) {
    return (
      <>
        <PageHeader title="App"><a href="#/validation">All apps</a></PageHeader>
        {app.error ? <ProblemBanner problem={app.error} /> : <Loading what="the app" />}
      </>
    );
  }
  return (
    <>
      <PageHeader title={app.data.name}>
        <span class="badge" title={MODES[app.data.mode]}>{app.data.mode} mode</span>
        <span class="muted">{app.data.rules_version ? `rules version ${app.data.rules_version}` : 'no rules yet'}</span>
        <a href="#/validation">All apps</a>
      </PageHeader>
      <Tabs label="App views" current={current} views={VIEWS.map(([key, label]) => [key, label, appHref(id, key)])} />
      <View key={id} app={app.data} onChanged={app.reload} />
    </>
  );
}

export default function Validation({ route }) {
  if (route.path.startsWith('/validation/app')) return <AppPage id={route.query.id ?? ''} view={route.query.view} />;
  return <AppsList page={Number(route.query.page ?? 1)} />;
}
