// Talking to Keel: JSON requests with the signed-in user's access token, refreshed without the user noticing,
// and errors as Problem (RFC 9457 problem+json, with the invalid fields when the server names them).

import { readEvents } from './sse.js';

const TOKENS_KEY = 'keel.console.tokens';

// An answer that is not 2xx, as Keel explains it.
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.title = body?.title ?? '';
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
  }

  // The message for one field ("title", "features.area"), or undefined.
  field(name) {
    return this.errors.find((e) => e.field === name || e.pointer === '/' + name.replaceAll('.', '/'))?.message;
  }
}

// The session: tokens in localStorage (so a reload keeps it, and other tabs see refreshes), and the user.
const listeners = new Set();
let tokens = readTokens();
let user = null;
let refreshing = null;

function readTokens() {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY));
  } catch {
    return null;
  }
}

// Stores a token pair; `expires_in` (seconds) becomes `expires_at` (this clock's ms), so requests can refresh
// the access token shortly before it expires instead of sending it to be refused.
function setTokens(next) {
  if (next && next.expires_in !== undefined && next.expires_at === undefined)
    next = { ...next, expires_at: Date.now() + next.expires_in * 1000 };
  tokens = next;
  if (next) localStorage.setItem(TOKENS_KEY, JSON.stringify(next));
  else localStorage.removeItem(TOKENS_KEY);
}

function changed() {
  for (const listener of listeners) listener();
}

// Another tab signed out, signed in (perhaps as someone else) or refreshed: follow it.
window.addEventListener('storage', (event) => {
  if (event.key !== TOKENS_KEY) return;
  const before = tokens;
  tokens = readTokens();
  if (!tokens) {
    user = null;
    changed();
  } else if (!before || before.access_token !== tokens.access_token) {
    session.restore();
  }
});

// What this console keeps in the browser for the signed-in user (a chat session, exports started), cleared
// when they sign out so the next user of the browser does not inherit it; the colour scheme stays.
function forgetUserState() {
  for (const storage of [localStorage, sessionStorage]) {
    for (const key of Object.keys(storage))
      if (key.startsWith('keel.') && key !== TOKENS_KEY && key !== 'keel.console.theme') storage.removeItem(key);
  }
}

export const session = {
  get user() {
    return user;
  },
  get signedIn() {
    return tokens !== null;
  },
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  // Loads the user behind the stored tokens; false when there are none or they are no longer good.
  async restore() {
    if (!tokens) return false;
    try {
      user = await api('GET', '/api/v1/auth/me');
    } catch (error) {
      if (error.status === 401) setTokens(null);
      user = null;
    }
    changed();
    return user !== null;
  },
  async signIn(email, password) {
    setTokens(await api('POST', '/api/v1/auth/login', { body: { email, password }, auth: false }));
    return this.restore();
  },
  async signOut() {
    const refresh_token = tokens?.refresh_token;
    setTokens(null);
    forgetUserState();
    user = null;
    changed();
    if (refresh_token) await api('POST', '/api/v1/auth/logout', { body: { refresh_token }, auth: false }).catch(() => {});
  },
};

// Trades the refresh token for a new pair, once for all the requests that found their token expired. Tabs share
// the tokens, and a refresh token presented twice ends the whole session (the server takes it for a stolen
// one): so tabs take turns under a Web Lock, and a tab that finds the stored pair already replaced by another
// takes that instead of refreshing again.
function refresh() {
  // Web Locks exist only in secure contexts (HTTPS, localhost); over plain HTTP elsewhere each tab goes alone.
  if (!refreshing) {
    const turn = navigator.locks ? navigator.locks.request('keel.console.refresh', refreshOnce) : refreshOnce();
    refreshing = turn.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function refreshOnce() {
  const stored = readTokens();
  if (!stored) return false;
  if (stored.refresh_token !== tokens?.refresh_token) {
    tokens = stored;
    return true;
  }
  let response;
  try {
    response = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ refresh_token: stored.refresh_token }),
    });
  } catch {
    return false;  // offline: keep the session, the next request tries again
  }
  if (response.ok) {
    setTokens(await response.json());
    return true;
  }
  // Refused (expired, revoked, spent): the session is over. Anything else (rate-limited, a restart) passes.
  if (response.status === 400 || response.status === 401) {
    setTokens(null);
    user = null;
    changed();
  }
  return false;
}

function headersFor(options) {
  const headers = { Accept: 'application/json', ...options.headers };
  if (options.auth !== false && tokens) headers.Authorization = `Bearer ${tokens.access_token}`;
  return headers;
}

const REFRESH_AHEAD_MS = 30000;

// The Authorization header's value for a request made without fetch (an upload through XMLHttpRequest, for
// its progress events), refreshed first when the token is about to expire; undefined when signed out.
export async function authorization() {
  if (tokens?.expires_at && tokens.expires_at - Date.now() < REFRESH_AHEAD_MS) await refresh();
  return tokens ? `Bearer ${tokens.access_token}` : undefined;
}

// A request as fetch() answers it, with the access token: refreshed when it is about to expire, and once more
// when the server says it has (a clock that disagrees with the server's).
export async function request(method, path, options = {}) {
  if (options.auth !== false && tokens?.expires_at && tokens.expires_at - Date.now() < REFRESH_AHEAD_MS) await refresh();
  let body = options.body;
  const headers = headersFor(options);
  if (body !== undefined && !(body instanceof Blob || body instanceof FormData || typeof body === 'string')) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  const send = () => fetch(path, { method, headers, body, signal: options.signal });
  let response = await send();
  if (response.status === 401 && options.auth !== false && tokens && (await refresh())) {
    headers.Authorization = `Bearer ${tokens.access_token}`;
    response = await send();
  }
  return response;
}

// The problem an answer carries.
export async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: the status says it
  }
  return new Problem(response.status, body);
}

// A JSON request: the parsed answer, null for 204, or a thrown Problem.
export async function api(method, path, options = {}) {
  const response = await request(method, path, options);
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') ?? '';
  return type.includes('json') ? response.json() : response.text();
}

// A query string from an object, leaving out empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? '?' + text : '';
}

// Server-Sent Events read with fetch (EventSource cannot send the Authorization header): calls onEvent({event,
// data, id}) for each event until the stream ends or `signal` aborts; data is parsed as JSON when it is JSON.
// `options` are request()'s, for a stream that answers a POST (a chat turn).
export async function events(path, onEvent, signal, options = {}) {
  try {
    const response = await request(options.method ?? 'GET', path, {
      ...options, headers: { Accept: 'text/event-stream', ...options.headers }, signal });
    if (!response.ok) throw await problemOf(response);
    await readEvents(response, onEvent);
  } catch (error) {
    if (error.name !== 'AbortError') throw error;
  }
}

// The file name a Content-Disposition header gives (RFC 6266: filename* first), or undefined.
function dispositionName(header) {
  if (!header) return undefined;
  const encoded = header.match(/filename\*=UTF-8''([^;]+)/i);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]);
    } catch {
      // malformed: try the plain name
    }
  }
  return header.match(/filename="([^"]*)"/i)?.[1];
}

// A file saved by the browser: fetched with the token (a plain link cannot send it) into a Blob, handed over
// through an object URL; named as the answer's Content-Disposition says, else `fallbackName`.
export async function download(path, fallbackName) {
  const response = await request('GET', path);
  if (!response.ok) throw await problemOf(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = dispositionName(response.headers.get('Content-Disposition')) ?? fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the bytes once the click is handled; a minute is ample.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
