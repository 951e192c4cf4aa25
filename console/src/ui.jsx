// The pieces every page is made of: labelled fields that show their own errors, the problem banner, tables,
// pagination, times and sizes.
import { useState } from 'preact/hooks';

let nextId = 0;
const fieldId = () => `field-${++nextId}`;

// A select's starting choice: a select has no defaultValue property, so the matching option is marked as the
// default once (a form's reset() goes back to it).
function selectDefault(value) {
  return (select) => {
    if (!select || select.dataset.defaulted) return;
    for (const option of select.options) option.defaultSelected = option.value === String(value);
    select.value = String(value);
    select.dataset.defaulted = 'yes';
  };
}

// A labelled input, select or textarea; `error` (a string) is shown under it and read by screen readers.
export function Field({ label, error, hint, as = 'input', children, ...props }) {
  const [id] = useState(() => props.id ?? fieldId());
  const Tag = as;
  if (as === 'select' && props.defaultValue !== undefined) {
    props.ref = selectDefault(props.defaultValue);
    delete props.defaultValue;
  }
  const described = [error && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(' ') || undefined;
  return (
    <div class={'field' + (error ? ' invalid' : '')}>
      <label for={id}>{label}</label>
      <Tag id={id} aria-invalid={error ? 'true' : undefined} aria-describedby={described} {...props}>
        {children}
      </Tag>
      {hint && <small id={`${id}-hint`} class="hint">{hint}</small>}
      {error && <small id={`${id}-error`} class="error">{error}</small>}
    </div>
  );
}

// What went wrong, as Keel said it; field errors a form shows at its fields are left out (`shown`).
export function ProblemBanner({ problem, shown = [] }) {
  if (!problem) return null;
  const others = problem.errors?.filter((e) => !shown.includes(e.field)) ?? [];
  return (
    <div class="problem" role="alert">
      <strong>{problem.message}</strong>
      {others.length > 0 && (
        <ul>
          {others.map((e) => (
            <li key={e.field}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// A form's values by input name.
export function formValues(form) {
  return Object.fromEntries(new FormData(form));
}

// A submit handler that tracks busy and the problem: `run(values, form)` does the work.
export function useSubmit(run) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const onSubmit = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setProblem(null);
    try {
      await run(formValues(form), form);
    } catch (error) {
      setProblem(error);
      // To the first field the server named, once it shows its error, so the reader hears what to fix.
      requestAnimationFrame(() => form.querySelector('[aria-invalid="true"]')?.focus());
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, setProblem, onSubmit };
}

export function PageHeader({ title, children }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children && <div class="actions">{children}</div>}
    </div>
  );
}

export function Section({ title, children, ...props }) {
  return (
    <section class="card" {...props}>
      {title && <h2>{title}</h2>}
      {children}
    </section>
  );
}

// Page n of a list that has `total` items.
export function Pager({ page, perPage, total, onPage }) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span aria-live="polite">
        Page {page} of {pages} ({total} in all)
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

// A time in the reader's zone; `iso` may be null.
export function Time({ iso }) {
  if (!iso) return <span class="muted">—</span>;
  const date = new Date(iso);
  return <time dateTime={iso} title={iso}>{date.toLocaleString()}</time>;
}

export function bytes(n) {
  if (n == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit ? n.toFixed(1) : n} ${units[unit]}`;
}

// A table that scrolls sideways on a narrow screen inside its frame; the frame is a named region that takes the
// focus, so the keyboard can scroll it too.
export function TableWrap({ label, children }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

// Links between the views of one page ("Live", "Rules" ...); `views` is [key, label, href] and `current` the
// shown view's key.
export function Tabs({ label, views, current }) {
  return (
    <nav aria-label={label} class="tabs">
      {views.map(([key, text, href]) => (
        <a key={key} href={href} aria-current={key === current ? 'page' : undefined}>
          {text}
        </a>
      ))}
    </nav>
  );
}

export function Empty({ children }) {
  return <p class="empty">{children}</p>;
}

export function Loading({ what = '' }) {
  return <p class="loading" role="status">Loading{what && ' ' + what}…</p>;
}

// A status word in a coloured pill ("done", "failed").
export function Badge({ value }) {
  return <span class={`badge badge-${String(value).replace(/[^a-z_]/gi, '')}`}>{String(value).replaceAll('_', ' ')}</span>;
}
