// An app's events as stored: the failed ones (kept aside by block mode or an unplanned: block rule, with why)
// and the log (every stored event with its verdict), newest first, filtered by name, a page at a time.
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { useResource } from '../hooks.js';
import { Empty, Field, Loading, ProblemBanner, Section, TableWrap, Time } from '../ui.jsx';
import { appBase, Properties, Verdict, Violations } from './validation-parts.jsx';

const LIMIT = 50;
const SOURCES = {
  failed: 'Failed events (kept aside)',
  logs: 'Stored events',
};

function EventRows({ source, items }) {
  return (
    <TableWrap label={SOURCES[source]}><table>
      <thead>
        <tr>
          <th>Received</th><th>Event</th>{source === 'logs' && <th>Verdict</th>}<th>User</th>
          <th>{source === 'failed' ? 'Why' : 'Violations'}</th><th>Properties</th><th class="num">Rules</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={e.id} data-event={e.event}>
            <td><Time iso={e.received_at} /></td>
            <td><code>{e.event}</code></td>
            {source === 'logs' && <td><Verdict valid={e.valid} /></td>}
            <td>{e.user_id ?? <span class="muted">—</span>}</td>
            <td><Violations violations={e.violations} /></td>
            <td><Properties value={e.properties} /></td>
            <td class="num">{e.rules_version == null ? '—' : `v${e.rules_version}`}</td>
          </tr>
        ))}
      </tbody>
    </table></TableWrap>
  );
}

export function EventsView({ app }) {
  // Block mode keeps its invalid events aside, so those are what its owner looks for first.
  const [source, setSource] = useState(app.mode === 'block' ? 'failed' : 'logs');
  const [filter, setFilter] = useState({ event: '', valid: '' });
  const [cursors, setCursors] = useState([]);  // the cursors of the pages before this one, and this one's
  const cursor = cursors[cursors.length - 1];
  const page = useResource(
    () => api('GET', `${appBase(app.id)}/${source}` +
      query({ event: filter.event.trim(), valid: source === 'logs' ? filter.valid : '', limit: LIMIT, cursor })),
    [app.id, source, filter.event, filter.valid, cursor]);
  const restart = (change) => {
    change();
    setCursors([]);
  };

  const items = page.data?.items ?? [];
  return (
    <Section aria-labelledby="events-title">
      <h2 id="events-title">{SOURCES[source]}</h2>
      {source === 'failed' && app.mode === 'flag' && (
        <p class="muted" style={{ marginTop: 0 }}>
          This app is in flag mode: invalid events are stored, marked invalid. Only an <code>unplanned: block</code> rule
          keeps events aside here.
        </p>
      )}
      <form class="row" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <Field label="Show" as="select" value={source} onChange={(e) => restart(() => setSource(e.currentTarget.value))}>
          {Object.entries(SOURCES).map(([key, text]) => <option key={key} value={key}>{text}</option>)}
        </Field>
        <Field label="Event name" type="search" value={filter.event} maxLength={200} placeholder="any"
               onChange={(e) => restart(() => setFilter({ ...filter, event: e.currentTarget.value }))} />
        {source === 'logs' && (
          <Field label="Verdict" as="select" value={filter.valid} onChange={(e) => restart(() => setFilter({ ...filter, valid: e.currentTarget.value }))}>
            <option value="">any</option>
            <option value="true">valid</option>
            <option value="false">invalid</option>
          </Field>
        )}
        <div class="field">
          <button type="button" onClick={page.reload}>Refresh</button>
        </div>
      </form>
      <ProblemBanner problem={page.error} />
      {page.loading && !page.data ? (
        <Loading what="events" />
      ) : items.length === 0 ? (
        <Empty>{cursor ? 'No older events.' : 'No events match.'}</Empty>
      ) : (
        <EventRows source={source} items={items} />
      )}
      {(cursors.length > 0 || page.data?.next_cursor) && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
          <button type="button" disabled={!page.data?.next_cursor} onClick={() => setCursors([...cursors, page.data.next_cursor])}>Older</button>
        </nav>
      )}
    </Section>
  );
}
