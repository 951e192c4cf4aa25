// Small hooks the pages share: loading a resource, polling it, and the session.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { session } from './api.js';

// Runs `load` when `deps` change (and on reload()); gives {data, error, loading, reload}. An answer that
// arrives after a newer request started is dropped.
export function useResource(load, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload };
}

// Calls `tick` every `ms` while the page is shown (and the tab visible).
export function useInterval(tick, ms) {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden) saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

// The signed-in user (null when signed out), re-rendering when it changes.
export function useSession() {
  const [, setVersion] = useState(0);
  useEffect(() => session.subscribe(() => setVersion((v) => v + 1)), []);
  return session.user;
}
