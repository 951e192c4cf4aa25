// Pages by the URL's hash ("#/tasks?status=done"): Keel serves one page at /, and a reload or a shared link
// opens the same view.
import { useEffect, useState } from 'preact/hooks';

export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    // Effects run after the first render, a moment later: a hash changed in between would go unseen.
    update();
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

// Goes to a page; `params` become its query.
export function navigate(path, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString();
  location.hash = '#' + path + (search ? '?' + search : '');
}
