// The shell: header with the pages, the colour-scheme switch and the user; the page the hash names, its module
// loaded when first opened. Signed-out visitors see only the sign-in, sign-up and reset pages.
import { useEffect, useRef, useState } from 'preact/hooks';
import { session } from './api.js';
import { useSession } from './hooks.js';
import { navigate, useRoute } from './router.js';
import { Loading } from './ui.jsx';

const auth = () => import('./pages/auth.jsx');
// First path segment -> the page's module and the export to show.
const PAGES = {
  'sign-in': [auth, 'SignIn'],
  'sign-up': [auth, 'SignUp'],
  verify: [auth, 'Verify'],
  reset: [auth, 'Reset'],
  account: [() => import('./pages/account.jsx'), 'default'],
  tasks: [() => import('./pages/tasks.jsx'), 'default'],
  property: [() => import('./pages/property.jsx'), 'default'],
  validation: [() => import('./pages/validation.jsx'), 'default'],
  image2model: [() => import('./pages/image2model.jsx'), 'default'],
  siprems: [() => import('./pages/siprems.jsx'), 'default'],
  operations: [() => import('./pages/operations.jsx'), 'default'],
};
const PUBLIC = new Set(['sign-in', 'sign-up', 'verify', 'reset']);
const NAV = [
  ['tasks', 'Tasks'],
  ['property', 'PropertyAI'],
  ['validation', 'Validation'],
  ['image2model', 'Image2Model'],
  ['siprems', 'SIPREMS'],
];

const THEME_KEY = 'keel.console.theme';

function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  window.dispatchEvent(new Event('keel:scheme'));  // charts redraw in the scheme's colours
}

function ThemeSwitch() {
  const [theme, setTheme] = useState(() => localStorage.getItem(THEME_KEY) ?? 'auto');
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return (
    <label class="theme">
      <span class="visually-hidden">Colour scheme</span>
      <select value={theme} onChange={(e) => setTheme(e.currentTarget.value)}>
        <option value="auto">Auto</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

function Header({ user, section }) {
  const links = user ? [...NAV, ...(user.role === 'admin' ? [['operations', 'Operations']] : [])] : [];
  return (
    <header class="top">
      <a class="brand" href="#/">Keel</a>
      <nav aria-label="Systems">
        {links.map(([key, label]) => (
          <a key={key} href={`#/${key}`} aria-current={section === key ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <div class="who">
        <ThemeSwitch />
        {user ? (
          <>
            <a href="#/account" aria-current={section === 'account' ? 'page' : undefined}>{user.email}</a>
            <button type="button" onClick={() => session.signOut().then(() => navigate('/sign-in'))}>
              Sign out
            </button>
          </>
        ) : (
          <a href="#/sign-in">Sign in</a>
        )}
      </div>
    </header>
  );
}

// The module of a page, loaded once. A module that cannot be loaded (the network, or a Keel upgraded since
// this page was opened, whose files have other names) shows a way out instead of loading for ever.
function usePage(section) {
  const [loaded, setLoaded] = useState({});
  const entry = PAGES[section];
  useEffect(() => {
    if (!entry || loaded[section]) return;
    entry[0]().then(
      (module) => setLoaded((all) => ({ ...all, [section]: module[entry[1]] })),
      () => setLoaded((all) => ({ ...all, [section]: Unloadable })));
  }, [section]);
  return entry ? loaded[section] : null;
}

function Unloadable() {
  return (
    <div class="problem" role="alert">
      <p>This page could not be loaded: the network failed, or Keel was updated since the console was opened.</p>
      <button type="button" onClick={() => location.reload()}>Reload the console</button>
    </div>
  );
}

export function App() {
  const route = useRoute();
  const user = useSession();
  const [restored, setRestored] = useState(!session.signedIn);
  useEffect(() => {
    if (session.signedIn) session.restore().finally(() => setRestored(true));
  }, []);

  const section = route.path.split('/')[1] || '';
  const allowed = PUBLIC.has(section) || user;
  useEffect(() => {
    if (!restored) return;
    if (!user && !PUBLIC.has(section)) navigate('/sign-in');
    else if (user && (section === '' || PUBLIC.has(section))) navigate('/tasks');
    else if (user && section === 'operations' && user.role !== 'admin') navigate('/tasks');
  }, [restored, user, section]);

  // After moving to another page, focus its heading (as a new document would start): screen readers announce
  // the page, and Tab goes on from its start rather than from where the old page's button was.
  const shown = useRef(null);
  useEffect(() => {
    if (shown.current !== null && shown.current !== route.path) focusPage();
    shown.current = route.path;
  }, [route.path]);

  const Page = usePage(allowed ? section : null);
  useEffect(() => {
    const label = NAV.find(([key]) => key === section)?.[1] ?? (section === 'operations' ? 'Operations' : '');
    document.title = label ? `${label} · Keel` : 'Keel console';
  }, [section]);

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <Header user={user} section={section} />
      <main id="main" tabIndex={-1}>
        {!restored || !allowed ? <Loading /> : Page ? <Page route={route} user={user} /> : PAGES[section] ? <Loading /> : <NotFound />}
      </main>
    </>
  );
}

// Focuses the shown page's h1 once its module has rendered it (a few frames at most), else the main region.
function focusPage(frames = 30) {
  const heading = document.querySelector('#main h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  } else if (frames > 0) {
    requestAnimationFrame(() => focusPage(frames - 1));
  } else {
    document.getElementById('main')?.focus();
  }
}

function NotFound() {
  return (
    <div class="card">
      <h1>Not found</h1>
      <p>
        There is no such page. <a href="#/tasks">Go to tasks</a>.
      </p>
    </div>
  );
}
