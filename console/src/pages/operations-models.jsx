// The model registry: each model's versions, the one served, reload (the newest valid version now), and for a
// loaded model its traffic plan with the last hour's predictions per version; a model with two or more versions
// can split its traffic between them (an A/B test, with shadows) and go back to one version.
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { useResource } from '../hooks.js';
import { Badge, Empty, Field, Loading, ProblemBanner, Section, TableWrap, Time, useSubmit } from '../ui.jsx';
import { count, Outcome, percent, useActions } from './operations-parts.jsx';

const adminPath = (name, rest) => `/api/v1/admin/models/${encodeURIComponent(name)}/${rest}`;

function reloadNotice(name, answer) {
  const served = answer.swapped ? `${name} now serves ${answer.version}.` : `${name} still serves ${answer.version}: no newer version.`;
  return answer.refused.length ? `${served} Refused: ${answer.refused.join('; ')}` : served;
}

function Versions({ model, plan, comparison }) {
  const total = Object.values(plan?.versions ?? {}).reduce((sum, w) => sum + w, 0);
  const byVersion = Object.fromEntries((comparison?.versions ?? []).map((v) => [v.version, v]));
  const ms = (value) => (value == null ? '—' : `${value.toFixed(1)} ms`);
  return (
    <TableWrap label={`Versions of ${model.name}`}>
      <table style={{ minWidth: '44rem' }}>
        <thead>
          <tr>
            <th>Version</th><th>Format</th><th class="num">Traffic</th><th class="num">Predictions (1 h)</th>
            <th class="num">Mean prediction</th><th class="num">Latency p50 / p95</th><th class="num">Cache hits</th>
          </tr>
        </thead>
        <tbody>
          {[...model.versions].reverse().map((version) => {
            const seen = byVersion[version];
            const weight = plan?.versions[version];
            return (
              <tr key={version} data-version={version}>
                <td>
                  <code>{version}</code>{' '}
                  {version === model.served_version && <Badge value="served" />}{' '}
                  {version === model.pinned && <Badge value="pinned" />}{' '}
                  {plan?.shadow.includes(version) && <Badge value="shadow" />}
                </td>
                <td>{model.formats[version] ?? '—'}</td>
                <td class="num">{weight === undefined || total === 0 ? '—' : percent(weight / total)}</td>
                <td class="num">{count(seen?.count)}</td>
                <td class="num">{seen?.mean_prediction == null ? '—' : seen.mean_prediction.toLocaleString(undefined, { maximumFractionDigits: 2 })}</td>
                <td class="num">{ms(seen?.latency_p50_ms)} / {ms(seen?.latency_p95_ms)}</td>
                <td class="num">{seen ? percent(seen.cache_hit_ratio) : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

// Weights per version (a version with weight 0 and not shadowing takes no part), shadows, and stickiness.
function TrafficForm({ model, plan, onSaved }) {
  const form = useSubmit(async (values) => {
    const versions = {};
    const shadow = [];
    for (const version of model.versions) {
      const weight = Number(values[`weight:${version}`] || 0);
      if (values[`shadow:${version}`]) shadow.push(version);
      else if (weight > 0) versions[version] = weight;
    }
    const header = values.sticky.trim();
    const body = { versions, shadow, sticky: header ? `header:${header}` : 'none' };
    onSaved(await api('POST', adminPath(model.name, 'traffic'), { body }));
  });
  const sticky = plan.sticky.startsWith('header:') ? plan.sticky.slice('header:'.length) : '';
  return (
    <form onSubmit={form.onSubmit} aria-label={`Traffic split of ${model.name}`}>
      <div class="row">
        {[...model.versions].reverse().map((version) => (
          <fieldset key={version} style={{ border: '1px solid var(--border)', borderRadius: '6px', minWidth: 0 }}>
            <legend><code>{version}</code></legend>
            <Field label={<>Weight<span class="visually-hidden"> of {version}</span></>} name={`weight:${version}`}
                   type="number" min={0} max={1000000} step={1} defaultValue={plan.versions[version] ?? 0} />
            <label>
              <input type="checkbox" name={`shadow:${version}`} defaultChecked={plan.shadow.includes(version)} /> Shadow
              <span class="visually-hidden"> {version}</span>
            </label>
          </fieldset>
        ))}
        <Field label="Sticky by header" name="sticky" defaultValue={sticky} placeholder="none" hint="Same value, same version" />
      </div>
      <ProblemBanner problem={form.problem} />
      <button class="primary" disabled={form.busy}>Split the traffic<span class="visually-hidden"> of {model.name}</span></button>
    </form>
  );
}

// The plan is read once; after a change, the plan the answering instance stored is shown (another instance
// behind a load balancer may follow it only within ml.traffic_poll_ms).
function Traffic({ model, actions }) {
  const read = useResource(() => api('GET', adminPath(model.name, 'traffic')), [model.name]);
  const [stored, setStored] = useState(null);
  const plan = stored ?? read.data;
  const comparison = useResource(() => api('GET', `/api/v1/models/${encodeURIComponent(model.name)}/compare` + query({ window: '1h' })), [model.name]);
  const changed = (answer) => {
    setStored(answer);
    comparison.reload();
  };
  const clear = () => actions.run(`clear:${model.name}`, async () => {
    const answer = await api('DELETE', adminPath(model.name, 'traffic'));
    changed(answer);
    return `${model.name}: one version serves everything again (${Object.keys(answer.versions).join(', ')}).`;
  });
  return (
    <>
      <ProblemBanner problem={read.error ?? comparison.error} />
      {plan && (
        <p data-testid="traffic-plan">
          {plan.source === 'plan' ? (
            <>Traffic plan revision {plan.revision}, since <Time iso={plan.updated_at} />; sticky: <code>{plan.sticky}</code>.</>
          ) : (
            <>No traffic plan: the served version answers everything.</>
          )}
        </p>
      )}
      <Versions model={model} plan={plan} comparison={comparison.data} />
      {plan && model.versions.length > 1 && (
        <details style={{ marginTop: '0.75rem' }}>
          <summary>Split the traffic between versions<span class="visually-hidden"> of {model.name}</span></summary>
          <TrafficForm model={model} plan={plan} onSaved={changed} />
        </details>
      )}
      {plan?.source === 'plan' && (
        <button type="button" style={{ marginTop: '0.75rem' }} disabled={actions.busy !== null} onClick={clear}
                aria-label={`End the traffic plan of ${model.name}`}>
          End the traffic plan
        </button>
      )}
    </>
  );
}

// A model loaded on first use shows its traffic once loaded; behind a load balancer the list may come from an
// instance that has not loaded it yet, so a reload's own answer counts too.
function Model({ model, onChanged }) {
  const actions = useActions(onChanged);
  const [reloaded, setReloaded] = useState(null);
  const served = model.served_version ?? reloaded?.version;
  const reload = () => actions.run(`reload:${model.name}`, async () => {
    const answer = await api('POST', adminPath(model.name, 'reload'));
    setReloaded(answer);
    return reloadNotice(model.name, answer);
  });
  return (
    <Section aria-labelledby={`model-${model.name}`} data-model={model.name}>
      <div class="section-head">
        <h2 id={`model-${model.name}`}>{model.name}</h2>
        <button type="button" class="primary" onClick={reload} disabled={actions.busy !== null} aria-label={`Reload ${model.name}`}>
          Reload
        </button>
      </div>
      <p class="muted">
        Serves <strong>{served ?? 'nothing yet'}</strong>
        {model.pinned && <> (pinned to {model.pinned})</>}; {model.eager ? 'loaded at start and kept' : served ? 'loaded on first use' : 'not loaded: loads on first use'};
        batches of up to {model.max_batch} within {model.max_delay_us} µs.
      </p>
      <Outcome outcome={actions.outcome} />
      {served ? <Traffic key={served} model={{ ...model, served_version: served }} actions={actions} /> : <Versions model={model} />}
    </Section>
  );
}

export default function Models() {
  const list = useResource(() => api('GET', '/api/v1/models' + query({ per_page: 100 })), []);
  if (list.error) return <ProblemBanner problem={list.error} />;
  if (!list.data) return <Loading what="models" />;
  if (list.data.items.length === 0) return <Empty>The registry has no model.</Empty>;
  return list.data.items.map((model) => <Model key={model.name} model={model} onChanged={list.reload} />);
}
