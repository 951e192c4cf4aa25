// An app's rules: the rules document edited as JSON, stored as a new version (PUT …/rules), with each error Keel
// finds listed beside the editor at the line its JSON pointer names; and the versions, any of which can be
// loaded back into the editor.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, Problem, query } from '../api.js';
import { useResource } from '../hooks.js';
import { Empty, Loading, Pager, ProblemBanner, Section, TableWrap, Time } from '../ui.jsx';
import { appBase } from './validation-parts.jsx';

const VERSIONS_PER_PAGE = 10;
const STARTER = {
  events: {
    signup: {
      type: 'object',
      required: ['plan'],
      properties: { plan: { enum: ['free', 'pro'] }, email: { type: 'string', format: 'email' } },
    },
  },
  unplanned: 'allow',
};
const KEYWORDS = 'type, enum, const, required, properties, additionalProperties, items, minItems, maxItems, minimum, ' +
  'maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength, pattern (RE2), format (date-time, ' +
  'email, uuid, ipv4)';

const documentOf = (rules) => JSON.stringify({ events: rules.events, unplanned: rules.unplanned }, null, 2);
const escapeToken = (key) => key.replaceAll('~', '~0').replaceAll('/', '~1');

// Where each JSON pointer of a valid JSON text is: pointer -> [start, end) offsets, from an object member's key (or
// an array item's value) to the value's end. Keel names its errors by pointer; this finds them in the editor.
export function pointerSpans(text) {
  const spans = new Map();
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const readString = () => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    return JSON.parse(text.slice(start, ++i));
  };
  // Reads an object's members or an array's items from the opening bracket at i through `close`.
  const members = (close, readMember) => {
    i++;
    skipSpace();
    if (text[i] === close) return void i++;
    for (;;) {
      readMember();
      skipSpace();
      if (text[i++] === close) return;
    }
  };
  const readValue = (pointer, start) => {
    skipSpace();
    start ??= i;
    if (text[i] === '{') {
      members('}', () => {
        skipSpace();
        const keyStart = i;
        const key = readString();
        skipSpace();
        i++;  // the colon
        readValue(`${pointer}/${escapeToken(key)}`, keyStart);
      });
    } else if (text[i] === '[') {
      let index = 0;
      members(']', () => readValue(`${pointer}/${index++}`));
    } else if (text[i] === '"') {
      readString();
    } else {
      while (i < text.length && !' \t\r\n,]}'.includes(text[i])) i++;
    }
    spans.set(pointer, [start, i]);
  };
  readValue('');
  return spans;
}

// The span of `pointer` in the text, or of its nearest ancestor present (a missing member's parent).
function locate(spans, pointer) {
  for (let p = pointer ?? ''; ; p = p.slice(0, p.lastIndexOf('/'))) {
    if (spans.has(p)) return spans.get(p);
    if (!p) return [0, 0];
  }
}

const lineAt = (text, offset) => text.slice(0, offset).split('\n').length;

// The editor's problems: a syntax error found here, or the errors of Keel's 422, each at its place.
function problemsOf(text, error) {
  if (error instanceof SyntaxError) {
    const at = Number(error.message.match(/position (\d+)/)?.[1] ?? 0);
    return [{ pointer: 'JSON syntax', message: error.message.replace(/^JSON\.parse: /, ''), span: [at, at + 1] }];
  }
  if (!(error instanceof Problem) || error.errors.length === 0) return [];
  const spans = pointerSpans(text);
  return error.errors.map((e) => {
    const pointer = e.pointer ?? '/' + (e.field ?? '');
    return { pointer, message: e.message, span: locate(spans, pointer) };
  });
}

// A JSON pointer that may wrap after each slash.
function Pointer({ value }) {
  return value.split('/').map((part, i) => (i === 0 ? part : <span key={i}><wbr />/{part}</span>));
}

// Puts the editor's caret on a span and scrolls it into view.
function select(editor, [start, end]) {
  editor.focus();
  editor.setSelectionRange(start, end);
  const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
  editor.scrollTop = Math.max(0, (lineAt(editor.value, start) - 3) * lineHeight);
}

// The document being edited; `initial` is what it starts from (the owner remounts it to start again, and then
// `focused` keeps the keyboard's place in it).
function Editor({ app, initial, stored, focused, onSaved }) {
  const editor = useRef(null);
  useEffect(() => {
    if (focused) editor.current.focus();
  }, []);
  const [text, setText] = useState(initial);
  const [error, setError] = useState(null);  // a SyntaxError or a Problem
  const [busy, setBusy] = useState(false);
  const [caret, setCaret] = useState(1);
  const followCaret = (e) => setCaret(lineAt(e.currentTarget.value, e.currentTarget.selectionStart));

  // What the editor says was wrong, checked against the text it was said of.
  const [checked, setChecked] = useState('');
  const problems = useMemo(() => (error ? problemsOf(checked, error) : []), [checked, error]);
  const invalid = problems.length > 0;

  const save = async (event) => {
    event.preventDefault();
    setChecked(text);
    let body;
    try {
      body = JSON.parse(text);
    } catch (syntax) {
      return setError(syntax);
    }
    setBusy(true);
    setError(null);
    try {
      onSaved(await api('PUT', `${appBase(app.id)}/rules`, { body }));
    } catch (problem) {
      setError(problem);
      setBusy(false);
    }
  };
  const format = () => {
    try {
      setText(JSON.stringify(JSON.parse(text), null, 2));
    } catch (syntax) {
      setChecked(text);
      setError(syntax);
    }
  };

  return (
    <form onSubmit={save} noValidate aria-label="Rules editor">
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: '1rem', alignItems: 'flex-start' }}>
        <div class={'field' + (invalid ? ' invalid' : '')} style={{ flex: '3 1 26rem' }}>
          <label for="rules-document">Rules document (JSON)</label>
          <textarea id="rules-document" ref={editor} class="code" spellcheck={false} rows={22} value={text}
                    aria-invalid={invalid ? 'true' : undefined}
                    aria-describedby={invalid ? 'rules-errors' : 'rules-help'}
                    onInput={(e) => { setText(e.currentTarget.value); followCaret(e); }}
                    onKeyUp={followCaret} onClick={followCaret}
                    style={{ resize: 'vertical', tabSize: 2 }} />
          <small class="hint">Line {caret} · {text === initial ? 'no unsaved changes' : 'unsaved changes'}</small>
        </div>
        <div style={{ flex: '1 1 16rem', minWidth: 0 }}>
          {invalid ? (
            <div class="problem" id="rules-errors" role="alert" style={{ margin: 0 }}>
              <strong>
                {error instanceof SyntaxError ? 'The document is not valid JSON.'
                  : `Keel refused the rules (${problems.length === 1 ? 'one problem' : `${problems.length} problems`}); nothing was stored.`}
              </strong>
              <ul data-testid="rules-errors" style={{ paddingLeft: 0, listStyle: 'none' }}>
                {problems.map((p) => (
                  <li key={p.pointer + p.message} style={{ marginTop: '0.5rem' }}>
                    <code><Pointer value={p.pointer} /></code>
                    <div>
                      {p.message} —{' '}
                      <button type="button" class="link" onClick={() => { select(editor.current, p.span); setCaret(lineAt(checked, p.span[0])); }}
                              aria-label={`Show ${p.pointer} in the editor, line ${lineAt(checked, p.span[0])}`}>
                        line {lineAt(checked, p.span[0])}
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
            </div>
          ) : (
            <div id="rules-help" class="muted" style={{ fontSize: '0.9rem' }}>
              <p style={{ marginTop: 0 }}>
                <code>events</code> holds a JSON Schema (draft 7) per event name; it checks the event's
                <code> properties</code>. <code>true</code> accepts any properties.
              </p>
              <p>Keywords: {KEYWORDS}.</p>
              <p>
                <code>unplanned</code> says what happens to an event no schema names: <code>allow</code> it,
                <code> flag</code> it invalid, or <code>block</code> it.
              </p>
            </div>
          )}
          {!invalid && <ProblemBanner problem={error} />}
        </div>
      </div>
      <div class="row">
        <button class="primary" disabled={busy}>Save as a new version</button>
        <button type="button" onClick={format}>Format</button>
        <button type="button" disabled={text === initial} onClick={() => { setText(initial); setError(null); }}>Undo changes</button>
        {stored && text === initial && <span class="notice" role="status" style={{ margin: 0 }}>Saved as version {stored}.</span>}
      </div>
    </form>
  );
}

function Versions({ app, page, setPage, onLoad }) {
  const versions = useResource(
    () => api('GET', `${appBase(app.id)}/rules/versions` + query({ page, per_page: VERSIONS_PER_PAGE })),
    [app.id, app.rules_version, page]);
  const items = versions.data?.items ?? [];
  return (
    <>
      <ProblemBanner problem={versions.error} />
      {versions.loading && !versions.data ? (
        <Loading what="versions" />
      ) : items.length === 0 ? (
        <Empty>No versions yet: the first one saved becomes version 1.</Empty>
      ) : (
        <TableWrap label="Rules versions"><table>
          <thead><tr><th>Version</th><th>Saved</th><th>Events</th><th>Unplanned</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {items.map((v) => (
              <tr key={v.version} data-version={v.version}>
                <td>
                  {v.version}{' '}
                  {v.version === app.rules_version && <span class="badge badge-ok">current</span>}
                </td>
                <td><Time iso={v.created_at} /></td>
                <td>{v.events.length ? v.events.map((e) => <code key={e} style={{ marginRight: '0.5rem' }}>{e}</code>) : <span class="muted">none</span>}</td>
                <td>{v.unplanned}</td>
                <td>
                  <button type="button" aria-label={`Load version ${v.version} into the editor`} onClick={() => onLoad(v.version)}>
                    Load
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table></TableWrap>
      )}
      {versions.data && versions.data.total > VERSIONS_PER_PAGE && (
        <Pager page={page} perPage={VERSIONS_PER_PAGE} total={versions.data.total} onPage={setPage} />
      )}
    </>
  );
}

export function RulesView({ app, onChanged }) {
  // No rules yet: start from an example (GET …/rules would answer 404).
  const current = useResource(
    () => (app.rules_version ? api('GET', `${appBase(app.id)}/rules`) : Promise.resolve(null)), [app.id]);
  const [initial, setInitial] = useState(null);  // {text, id}: a new id starts the editor again
  const [loaded, setLoaded] = useState(null);  // the version in the editor, when loaded from the list
  const [stored, setStored] = useState(null);  // the version just saved
  const [page, setPage] = useState(1);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    if (current.data === undefined || initial !== null) return;
    setInitial({ text: current.data ? documentOf(current.data) : JSON.stringify(STARTER, null, 2), id: 0 });
  }, [current.data]);

  const load = async (version) => {
    setProblem(null);
    try {
      const rules = await api('GET', `${appBase(app.id)}/rules/versions/${version}`);
      setInitial({ text: documentOf(rules), id: (initial?.id ?? 0) + 1 });
      setLoaded(version);
      setStored(null);
    } catch (error) {
      setProblem(error);
    }
  };

  return (
    <>
      <Section title="Rules">
        <p class="muted" style={{ marginTop: 0 }}>
          {app.rules_version ? `Version ${app.rules_version} is current.` : 'This app has no rules yet: every event is valid until it has.'}
          {loaded && ` The editor holds version ${loaded}; saving it makes it a new version.`}
        </p>
        <ProblemBanner problem={problem ?? current.error} />
        {initial === null ? (
          !current.error && <Loading what="the rules" />
        ) : (
          <Editor key={initial.id} app={app} initial={initial.text} stored={stored} focused={initial.id > 0} onSaved={(rules) => {
            setInitial({ text: documentOf(rules), id: initial.id + 1 });
            setLoaded(null);
            setStored(rules.version);
            onChanged();
          }} />
        )}
      </Section>
      <Section title="Versions">
        <Versions app={app} page={page} setPage={setPage} onLoad={load} />
      </Section>
    </>
  );
}
