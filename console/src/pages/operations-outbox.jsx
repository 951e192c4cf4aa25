// The mail Keel handled, newest first, with its text when the outbox is the delivery (no SMTP server), for one
// recipient or all; new mail shows up as it is sent.
import { api, query } from '../api.js';
import { useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Empty, Field, Loading, Pager, ProblemBanner, Section, Time } from '../ui.jsx';
import { useLive } from './operations-parts.jsx';

const PER_PAGE = 20;
const REFRESH_MS = 5000;

function Mail({ mail }) {
  return (
    <article data-mail={mail.id} style={{ borderTop: '1px solid var(--border)', padding: '0.75rem 0' }}>
      <h3 style={{ margin: '0 0 0.25rem' }}>{mail.subject}</h3>
      <p class="muted" style={{ margin: '0 0 0.5rem' }}>
        To <strong>{mail.to}</strong>, <Time iso={mail.created_at} />, by {mail.transport} (job {mail.job_id})
      </p>
      {mail.text == null ? (
        <p class="muted">Sent through the SMTP server; its text is not kept.</p>
      ) : (
        <pre class="mono" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', margin: 0, padding: '0.5rem',
                                   background: 'var(--bg)', border: '1px solid var(--border)', borderRadius: '6px' }}>
          {mail.text}
        </pre>
      )}
    </article>
  );
}

export default function Outbox({ route }) {
  const to = route.query.to ?? '';
  const page = Number(route.query.page ?? 1);
  const list = useResource(() => api('GET', '/api/v1/admin/outbox' + query({ to, page, per_page: PER_PAGE })), [to, page]);
  const live = useLive(list.reload, REFRESH_MS);
  const filter = (event) => {
    event.preventDefault();
    navigate('/operations/outbox', { to: new FormData(event.currentTarget).get('to').trim() });
  };
  const items = list.data?.items ?? [];
  return (
    <Section aria-labelledby="outbox-title">
      <div class="section-head">
        <h2 id="outbox-title">Outbox</h2>
        {live}
      </div>
      <form class="row" role="search" aria-label="Filter mail" onSubmit={filter}>
        <Field label="Recipient" name="to" type="email" key={to} defaultValue={to} placeholder="anyone" />
        <div class="field"><button>Show</button></div>
      </form>
      <ProblemBanner problem={list.error} />
      {list.loading && !list.data ? (
        <Loading what="mail" />
      ) : items.length === 0 ? (
        <Empty>{to ? `No mail to ${to}.` : 'No mail yet.'}</Empty>
      ) : (
        items.map((mail) => <Mail key={mail.id} mail={mail} />)
      )}
      {list.data && <Pager page={page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => navigate('/operations/outbox', { to, page: p })} />}
    </Section>
  );
}
