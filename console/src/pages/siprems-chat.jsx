// The SIPREMS sales assistant: a question answered as Keel streams it (Server-Sent Events over the POST), the
// figures the answer used, and the conversation kept by Keel as a session this tab remembers.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, Problem, problemOf, request } from '../api.js';
import { readEvents } from '../sse.js';
import { useResource } from '../hooks.js';
import { Empty, Field, Loading, ProblemBanner, Section, Time } from '../ui.jsx';
import { amount } from './siprems-common.jsx';

// The tab's conversation: kept across reloads of the page, forgotten with the tab.
const SESSION_KEY = 'keel.console.siprems.chat';

// One streamed turn: `onDelta(text)` for each piece of the reply; resolves with the whole answer (the done
// event), or throws the Problem of a refused request or of an error event.
async function askStreamed(body, onDelta, signal) {
  const response = await request('POST', '/api/v1/chat',
                                 { body: { ...body, stream: true }, headers: { Accept: 'text/event-stream' }, signal });
  if (!response.ok) throw await problemOf(response);
  let answer = null;
  let failure = null;
  await readEvents(response, ({ event, data }) => {
    if (event === 'delta') onDelta(data.text);
    else if (event === 'done') answer = data;
    else if (event === 'error') failure = data;
  });
  if (failure || !answer)
    throw new Problem(failure?.status ?? 502, { detail: failure?.detail ?? 'The answer stopped before it was complete.' });
  return answer;
}

function Turn({ role, content, at, engine, streaming }) {
  const who = role === 'user' ? 'You' : 'Assistant';
  return (
    <div class={`message ${role}`} data-role={role} data-streaming={streaming ? 'true' : undefined}>
      <div class="muted" style={{ fontSize: '0.8rem' }}>
        {who}
        {engine && engine !== 'analyst' && ` (${engine})`}
        {at && <> · <Time iso={at} /></>}
      </div>
      {content || (streaming ? '…' : '')}
    </div>
  );
}

function Facts({ facts }) {
  if (!facts?.length) return null;
  return (
    <details>
      <summary>Figures the answer used ({facts.length})</summary>
      <ul>
        {facts.map((fact) => (
          <li key={fact.name}>
            {fact.name}: <strong>{typeof fact.value === 'number' ? amount(fact.value) : String(fact.value)}</strong>{' '}
            <span class="muted">({fact.source})</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

// Questions the built-in analyst understands, about a product of the catalogue.
function suggestions(sku) {
  return [
    ...(sku ? [`Forecast ${sku} for the next 6 months`, `Is ${sku} growing?`] : []),
    'Top 5 products last year',
    'Which products are at risk of running out of stock?',
  ];
}

export function Chat() {
  const [sessionId, setSessionId] = useState(() => sessionStorage.getItem(SESSION_KEY));
  const [turns, setTurns] = useState([]);
  const [pending, setPending] = useState(null);  // {question, reply} while an answer streams in
  const [facts, setFacts] = useState([]);
  const [problem, setProblem] = useState(null);
  const [restoring, setRestoring] = useState(Boolean(sessionId));
  const form = useRef(null);
  const log = useRef(null);
  const firstProduct = useResource(() => api('GET', '/api/v1/products?per_page=1&active=true'), []);

  const remember = (id) => {
    setSessionId(id);
    if (id) sessionStorage.setItem(SESSION_KEY, id);
    else sessionStorage.removeItem(SESSION_KEY);
  };

  const loadHistory = async (id) => {
    const session = await api('GET', `/api/v1/chat/sessions/${encodeURIComponent(id)}`);
    setTurns(session.turns);
  };

  useEffect(() => {
    if (!sessionId) return;
    loadHistory(sessionId)
      .catch((error) => {
        if (error.status === 404) remember(null);  // expired (chat.history_ttl_s) or forgotten elsewhere
        else setProblem(error);
      })
      .finally(() => setRestoring(false));
  }, []);

  useEffect(() => {
    if (log.current) log.current.scrollTop = log.current.scrollHeight;
  }, [turns, pending]);

  // Leaving the page stops a reply still streaming.
  const leaving = useRef(new AbortController());
  useEffect(() => () => leaving.current.abort(), []);

  const ask = async (question) => {
    question = question.trim();
    setProblem(null);
    setFacts([]);
    setPending({ question, reply: '' });
    try {
      const body = { message: question, ...(sessionId ? { session_id: sessionId } : {}) };
      const answer = await askStreamed(body, (text) => setPending((p) => ({ ...p, reply: p.reply + text })),
                                       leaving.current.signal);
      remember(answer.session_id);
      setFacts(answer.facts);
      await loadHistory(answer.session_id);
      form.current?.reset();
    } catch (error) {
      if (error.name !== 'AbortError') setProblem(error);
    } finally {
      setPending(null);
    }
  };

  const onSubmit = (event) => {
    event.preventDefault();
    ask(new FormData(event.currentTarget).get('message') ?? '');
  };

  const forget = async () => {
    setProblem(null);
    try {
      await api('DELETE', `/api/v1/chat/sessions/${encodeURIComponent(sessionId)}`);
    } catch (error) {
      if (error.status !== 404) return setProblem(error);
    }
    remember(null);
    setTurns([]);
    setFacts([]);
  };

  const busy = pending !== null;
  const sku = firstProduct.data?.items?.[0]?.sku;
  return (
    <Section aria-labelledby="chat-title">
      <div class="section-head">
        <h2 id="chat-title">Sales assistant</h2>
        {sessionId && (
          <div class="actions">
            <button type="button" onClick={() => { remember(null); setTurns([]); setFacts([]); }} disabled={busy}>
              New conversation
            </button>
            <button type="button" class="danger" onClick={forget} disabled={busy}>Delete this conversation</button>
          </div>
        )}
      </div>
      <p class="muted">
        Answers come from the catalogue's sales and the served forecasting models; each figure says where it came from.
      </p>
      <div ref={log} class="chat-log" role="log" aria-live="polite" aria-busy={busy ? 'true' : 'false'}
           aria-label="Conversation" tabIndex={0} data-session={sessionId ?? undefined}>
        {restoring ? (
          <Loading what="the conversation" />
        ) : turns.length === 0 && !pending ? (
          <Empty>No questions yet.</Empty>
        ) : (
          turns.map((turn, i) => <Turn key={i} {...turn} />)
        )}
        {pending && (
          <>
            <Turn role="user" content={pending.question} />
            <Turn role="assistant" content={pending.reply} streaming />
          </>
        )}
      </div>
      <Facts facts={facts} />
      <form ref={form} onSubmit={onSubmit} noValidate aria-label="Ask the assistant" style={{ marginTop: '0.75rem' }}>
        <div class="row">
          <div style={{ flex: '1 1 16rem' }}>
            <Field label="Your question" name="message" required maxLength={4000} autocomplete="off" error={problem?.field?.('message')} />
          </div>
          <div class="field">
            <button class="primary" disabled={busy}>{busy ? 'Answering…' : 'Ask'}</button>
          </div>
        </div>
        <ProblemBanner problem={problem} shown={['message']} />
      </form>
      <div class="row" role="group" aria-labelledby="chat-examples" style={{ alignItems: 'baseline' }}>
        <span id="chat-examples" class="muted">Try:</span>
        {suggestions(sku).map((question) => (
          <button key={question} type="button" class="link" disabled={busy} onClick={() => ask(question)}>
            {question}
          </button>
        ))}
      </div>
    </Section>
  );
}
