// PropertyAI: a form built from the served model's features and their ranges, the predicted price with the
// version that computed it, and the last hour's predictions per minute from the stats endpoint.
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Chart } from '../chart.jsx';
import { useInterval, useResource } from '../hooks.js';
import { Field, Loading, PageHeader, ProblemBanner, Section, useSubmit } from '../ui.jsx';

const money = (n) => n.toLocaleString(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
const label = (name) => name.replaceAll('_', ' ').replace(/\bsqft\b/, '(sq ft)');
const isInteger = (feature) => Number.isInteger(feature.min) && Number.isInteger(feature.max) && feature.max - feature.min >= 2;
// A bound or a starting value to as many decimals as the feature's span calls for (the meta's ranges carry a
// margin, so their ends are rarely round).
function rounded(value, feature) {
  const span = feature.max - feature.min;
  const digits = isInteger(feature) || span >= 20 ? 0 : span >= 1 ? 1 : Math.min(6, 2 - Math.floor(Math.log10(span)));
  return Number(value.toFixed(digits));
}

function Stats({ stats }) {
  const now = Date.now() / 1000;
  const data = useMemo(() => {
    const minutes = stats?.per_minute ?? [];
    return [minutes.map((m) => Date.parse(m.minute) / 1000), minutes.map((m) => m.count), minutes.map((m) => m.mean_prediction)];
  }, [stats]);
  if (!stats) return <Loading what="stats" />;
  const value = (v, format) => (v == null ? '—' : format(v));
  return (
    <>
      <div class="stats">
        <div><div class="label">Predictions (1 h)</div><div class="stat" data-testid="prediction-count">{stats.count}</div></div>
        <div><div class="label">Mean price</div><div class="stat">{value(stats.mean_prediction, money)}</div></div>
        <div><div class="label">Latency p50 / p95</div><div class="stat">{value(stats.latency_p50_ms, (v) => v.toFixed(2))} / {value(stats.latency_p95_ms, (v) => v.toFixed(2))} ms</div></div>
        <div><div class="label">Cache hits</div><div class="stat">{value(stats.cache_hit_ratio, (v) => `${Math.round(v * 100)}%`)}</div></div>
      </div>
      <div class="grid">
        <Chart title="Predictions per minute" series={[{ label: 'predictions', colour: '#1f77b4', points: true }]} data={[data[0], data[1]]} height={200} xRange={[now - 3600, now]} />
        <Chart title="Mean predicted price per minute" series={[{ label: 'mean price', colour: '#d62728', points: true }]} data={[data[0], data[2]]} height={200} yLabel="USD" xRange={[now - 3600, now]} />
      </div>
    </>
  );
}

export default function Property() {
  const model = useResource(() => api('GET', '/api/v1/property/model'), []);
  const stats = useResource(() => api('GET', '/api/v1/property/stats?window=1h'), []);
  useInterval(stats.reload, 10000);
  const [answer, setAnswer] = useState(null);
  const form = useSubmit(async (values) => {
    const features = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === '' ? v : Number(v)]));
    setAnswer(await api('POST', '/api/v1/property/predict', { body: { features } }));
    stats.reload();
  });

  const meta = model.data;
  const names = meta?.features.map((f) => f.name) ?? [];
  return (
    <>
      <PageHeader title="PropertyAI" />
      <Section title="Price a house">
        <ProblemBanner problem={model.error} />
        {!meta ? (
          !model.error && <Loading what="the model" />
        ) : (
          <form onSubmit={form.onSubmit} noValidate>
            <p class="muted">
              Model <strong>{meta.name}</strong> version <code>{meta.version}</code>, trained {new Date(meta.trained_at).toLocaleDateString()}
              {meta.metrics?.mae != null && <> — mean error {money(meta.metrics.mae)} on held-out sales</>}.
            </p>
            <div class="grid">
              {meta.features.map((feature) => (
                <Field key={feature.name} label={label(feature.name)} name={feature.name} type="number" required
                       min={feature.min} max={feature.max} step={isInteger(feature) ? 1 : 'any'}
                       defaultValue={String(rounded((feature.min + feature.max) / 2, feature))}
                       hint={`${rounded(feature.min, feature)} to ${rounded(feature.max, feature)}`} error={form.problem?.field?.(`features.${feature.name}`)} />
              ))}
            </div>
            <ProblemBanner problem={form.problem} shown={names.map((n) => `features.${n}`)} />
            <button class="primary" disabled={form.busy}>Predict the price</button>
          </form>
        )}
        {answer && (
          <div class="notice" role="status">
            Predicted price <strong class="stat" data-testid="price">{money(answer.prediction)}</strong>
            <div class="muted">by version <code>{answer.version}</code>{answer.cached ? ' (from the cache)' : ''}</div>
          </div>
        )}
      </Section>
      <Section title="The last hour">
        <ProblemBanner problem={stats.error} />
        <Stats stats={stats.data} />
      </Section>
    </>
  );
}
