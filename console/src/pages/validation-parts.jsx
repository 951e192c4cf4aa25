// Pieces the Validation pages share: where an app's views live, stat tiles and
// how a rule violation reads.
import { navigate } from '../router.js';

export const appBase = (id) => `/api/v1/apps/${encodeURIComponent(id)}`;

// The hash of one of an app's views ("live", "rules", ...).
export const appHref = (id, view) => `#/validation/app?id=${encodeURIComponent(id)}${view ? `&view=${view}` : ''}`;
export const openApp = (id, view) => navigate('/validation/app', { id, view });

export const count = (n) => (n == null ? '—' : n.toLocaleString());
export const percent = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(part === whole || !part ? 0 : 1)}%` : '—');

// One figure in a tile: its label, the number, and a line under it.
export function Stat({ label, value, note, testId }) {
  return (
    <div>
      <div class="label">{label}</div>
      <div class="stat" data-testid={testId}>{value}</div>
      {note && <div class="muted" style={{ fontSize: '0.85rem' }}>{note}</div>}
    </div>
  );
}

// What broke which rule, one line each: the pointer into the event, the keyword, Keel's message.
export function Violations({ violations }) {
  if (!violations?.length) return <span class="muted">—</span>;
  return (
    <ul style={{ margin: 0, paddingLeft: '1rem' }}>
      {violations.map((v, i) => (
        <li key={i}>
          <code>{v.path}</code> <span class="badge">{v.rule}</span> {v.message}
        </li>
      ))}
    </ul>
  );
}

// An event's verdict: valid, invalid (stored, flagged) or blocked (kept aside).
export function Verdict({ valid, blocked }) {
  if (blocked) return <span class="badge badge-failed">blocked</span>;
  return valid ? <span class="badge badge-valid">valid</span> : <span class="badge badge-retrying">invalid</span>;
}

// Properties as compact JSON, cut short when long (the title holds all of it).
export function Properties({ value }) {
  const text = JSON.stringify(value ?? {});
  return <code title={text.length > 80 ? text : undefined} style={{ wordBreak: 'break-all' }}>{text.length > 80 ? text.slice(0, 79) + '…' : text}</code>;
}
