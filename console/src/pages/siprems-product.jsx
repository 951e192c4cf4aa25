// One SIPREMS product: its details (changed or deleted here), its sales with the served model's forecast and
// 80% and 95% intervals, that model's backtest against seasonal naive, its model versions, training it now,
// and recording a sale.
import { Fragment } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Chart } from '../chart.jsx';
import { useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Badge, Empty, Field, Loading, PageHeader, ProblemBanner, Section, TableWrap, Time } from '../ui.jsx';
import { ProductForm, SaleForm } from './siprems-forms.jsx';
import { amount, fixed, periodName, productPath } from './siprems-common.jsx';
import { TrainingJob } from './siprems-training.jsx';

const HORIZONS = [3, 6, 12, 24, 36];
const HISTORIES = [['24', 'last 24'], ['60', 'last 60'], ['all', 'all']];
const FORECAST_COLOUR = '#d62728';
const NO_WRAP = { whiteSpace: 'nowrap' };

// The sales, the forecast and (when a version serves) its backtest. The forecast is asked for only when there
// are sales, and the backtest only when a version serves: otherwise Keel answers 409, which is no error here.
async function loadOutlook(sku, horizon) {
  const path = productPath(sku);
  const [models, monthly] = await Promise.all([api('GET', `${path}/models`), api('GET', `${path}/sales?interval=month`)]);
  const served = models.items.find((m) => m.status === 'served');
  if (monthly.items.length === 0) return { models, sales: monthly, forecast: null, backtest: null };
  const [forecast, backtest] = await Promise.all([
    api('GET', `${path}/forecast?horizon=${horizon}`),
    served ? api('GET', `${path}/backtest`) : null,
  ]);
  // The chart shows sales summed per the models' period (siprems.interval).
  const sales = forecast.interval === monthly.interval ? monthly : await api('GET', `${path}/sales?interval=${forecast.interval}`);
  return { models, sales, forecast, backtest };
}

const seconds = (period) => Date.parse(`${period}T00:00:00Z`) / 1000;

// The chart's series, as chartColumns orders them: sales, forecast, upper95, lower95, upper80, lower80; the
// bands fill between the 95% bounds, then the 80% ones.
const SERIES = [
  { label: 'Sales', colour: '#1f77b4', width: 2 },
  { label: 'Forecast', colour: FORECAST_COLOUR, width: 2, dash: [6, 4] },
  { label: '95% high', colour: 'rgba(214,39,40,0.35)', width: 1 },
  { label: '95% low', colour: 'rgba(214,39,40,0.35)', width: 1 },
  { label: '80% high', colour: 'rgba(214,39,40,0.55)', width: 1 },
  { label: '80% low', colour: 'rgba(214,39,40,0.55)', width: 1 },
];
const BANDS = [[3, 4, 'rgba(214,39,40,0.10)'], [5, 6, 'rgba(214,39,40,0.20)']];

// uPlot's columns, one row per period: the sales shown and the forecast's points (sales recorded after the
// model was trained share periods with the forecast). The forecast's lines start at the last period the model
// saw, so they continue the sales line.
function chartColumns(history, forecast) {
  const rows = new Map();
  const row = (period) => {
    if (!rows.has(period)) rows.set(period, [seconds(period), null, null, null, null, null, null]);
    return rows.get(period);
  };
  for (const item of history) {
    const values = row(item.period);
    values[1] = item.quantity;
    if (item.period === forecast?.history_end) values.fill(item.quantity, 2);
  }
  for (const p of forecast?.points ?? []) row(p.period).splice(2, 5, p.forecast, p.upper95, p.lower95, p.upper80, p.lower80);
  const sorted = [...rows.keys()].sort().map((period) => rows.get(period));
  return sorted[0]?.map((_, column) => sorted.map((values) => values[column])) ?? [[], [], [], [], [], [], []];
}

function ForecastChart({ sku, sales, forecast, shown }) {
  const history = shown === 'all' ? sales.items : sales.items.slice(-Number(shown));
  const data = useMemo(() => chartColumns(history, forecast), [sales, forecast, shown]);
  return (
    <Chart title={`${sku}: sales per ${sales.interval} and the forecast with its 80% and 95% intervals`}
           series={SERIES} bands={BANDS} data={data} height={300} yLabel="quantity" />
  );
}

function ForecastTable({ forecast }) {
  return (
    <TableWrap label="Forecast figures">
      <table data-testid="forecast">
        <caption class="visually-hidden">Forecast per {forecast.interval}</caption>
        <thead>
          <tr><th>Period</th><th class="num">Forecast</th><th class="num">80% interval</th><th class="num">95% interval</th></tr>
        </thead>
        <tbody>
          {forecast.points.map((p) => (
            <tr key={p.period}>
              <td style={NO_WRAP}><time dateTime={p.period}>{periodName(p.period, forecast.interval)}</time></td>
              <td class="num" data-forecast={p.forecast}>{fixed(p.forecast, 1)}</td>
              <td class="num" style={NO_WRAP}>{fixed(p.lower80, 1)} – {fixed(p.upper80, 1)}</td>
              <td class="num" style={NO_WRAP}>{fixed(p.lower95, 1)} – {fixed(p.upper95, 1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function ModelLine({ forecast }) {
  const { model } = forecast;
  if (model.fallback)
    return <p class="muted">No version trained yet: this is seasonal naive on the sales so far.</p>;
  return (
    <p class="muted">
      Served by the <strong>{model.family.replaceAll('_', ' ')}</strong> model <code>{model.version}</code>, trained{' '}
      <Time iso={model.trained_at} />; it saw the sales up to {periodName(forecast.history_end, forecast.interval)}.
    </p>
  );
}

// MAE, MASE and sMAPE of each row, with the model family or method the row names.
function AccuracyTable({ caption, rows }) {
  return (
    <TableWrap label={caption}>
      <table>
        <caption style={{ textAlign: 'left', fontWeight: 600, margin: '0.75rem 0 0.25rem' }}>{caption}</caption>
        <thead>
          <tr><th>Method</th><th class="num">MAE</th><th class="num">MASE</th><th class="num">sMAPE</th></tr>
        </thead>
        <tbody>
          {rows.map(([name, measures]) => (
            <tr key={name} data-method={name}>
              <td>{name}</td>
              <td class="num">{fixed(measures?.mae, 2)}</td>
              <td class="num">{fixed(measures?.mase, 3)}</td>
              <td class="num">{measures?.smape == null ? '—' : `${fixed(measures.smape, 1)}%`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

const ROLLING_KEYS = new Set(['origins', 'horizon', 'chosen', 'seasonal_naive']);

function Backtest({ backtest, interval }) {
  const name = (period) => periodName(period, interval);
  const { split, served, seasonal_naive: naive, rolling_origin: rolling } = backtest;
  const ratio = served.mase / naive.mase;
  const verdict = Number.isFinite(ratio)
    ? ratio <= 1
      ? `${Math.round((1 - ratio) * 100)}% lower error (MASE) than seasonal naive`
      : `${Math.round((ratio - 1) * 100)}% higher error (MASE) than seasonal naive`
    : null;
  // The families tried on the rolling origins besides the baseline; the chosen one is the family it copies.
  const families = Object.entries(rolling ?? {})
    .filter(([key, value]) => !ROLLING_KEYS.has(key) && value?.mase != null)
    .map(([key, value]) => [key.replaceAll('_', ' ') + (key === served.family ? ' (chosen)' : ''), value]);
  const cutOffs = rolling?.origins === 1 ? '1 cut-off' : `${rolling?.origins} cut-offs`;
  return (
    <>
      <p>
        Fitted to the sales up to {name(split.train_end)}, then asked for the {split.periods} periods held out
        ({name(split.test_start)} to {name(split.test_end)}).{' '}
        {verdict && <strong data-testid="verdict">The served model had {verdict}.</strong>}
      </p>
      <AccuracyTable caption="Holdout"
                     rows={[[`Served: ${served.family.replaceAll('_', ' ')}`, served], ['Seasonal naive', naive]]} />
      {rolling?.chosen && (
        <AccuracyTable
          caption={`Rolling origin (${cutOffs}, ${rolling.horizon} periods each): how the family was chosen`}
          rows={[...families, ['Seasonal naive', rolling.seasonal_naive]]} />
      )}
      <p class="muted">MASE below 1 beats the naive forecast on the training data; sMAPE is the symmetric mean absolute percentage error.</p>
    </>
  );
}

function Versions({ models }) {
  if (models.items.length === 0) return <Empty>No version trained yet.</Empty>;
  return (
    <TableWrap label="Model versions">
      <table>
        <thead>
          <tr><th>Version</th><th>Family</th><th>Status</th><th class="num">MASE</th><th>Trained</th><th>Why</th></tr>
        </thead>
        <tbody>
          {models.items.slice(0, 10).map((m) => (
            <tr key={m.version}>
              <td><code>{m.version}</code></td>
              <td>{m.family.replaceAll('_', ' ')}</td>
              <td><Badge value={m.status} /></td>
              <td class="num">{fixed(m.mase, 3)}</td>
              <td><Time iso={m.trained_at} /></td>
              <td>{m.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function Details({ product }) {
  const rows = [
    ['SKU', <code>{product.sku}</code>],
    ['Category', product.category],
    ['Price', product.price == null ? '—' : amount(product.price, 2)],
    ['Stock', amount(product.stock, 0)],
    ['Status', <Badge value={product.active ? 'active' : 'inactive'} />],
    ['Source', product.source],
    ['Changed', <Time iso={product.updated_at} />],
  ];
  return (
    <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '0.25rem 1rem', margin: '0 0 0.75rem' }}>
      {rows.map(([term, value]) => (
        <Fragment key={term}>
          <dt class="muted">{term}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

// What the forecast says next, beside the last period sold, for the header's figures.
function Headline({ sales, forecast, backtest }) {
  const last = sales.items[sales.items.length - 1];
  const next = forecast?.points[0];
  return (
    <div class="stats">
      <div><div class="label">Sold in {periodName(last?.period, sales.interval)}</div><div class="stat">{amount(last?.quantity)}</div></div>
      <div><div class="label">Forecast for {periodName(next?.period, forecast?.interval)}</div><div class="stat" data-testid="next-forecast">{amount(next?.forecast)}</div></div>
      <div><div class="label">Model</div><div class="stat">{forecast ? (forecast.model.fallback ? 'seasonal naive' : forecast.model.family.replaceAll('_', ' ')) : '—'}</div></div>
      <div><div class="label">MASE, model vs naive</div><div class="stat">{backtest ? `${fixed(backtest.served.mase, 2)} / ${fixed(backtest.seasonal_naive.mase, 2)}` : '—'}</div></div>
    </div>
  );
}

export function ProductView({ route, user }) {
  const sku = route.query.sku ?? '';
  const horizon = Number(route.query.horizon ?? 12);
  const shown = route.query.history ?? '60';
  const setView = (name, value) => navigate('/siprems/product', { ...route.query, [name]: value });

  const product = useResource(() => api('GET', productPath(sku)), [sku]);
  const outlook = useResource(() => loadOutlook(sku, horizon), [sku, horizon]);
  const [editing, setEditing] = useState(false);
  const [jobId, setJobId] = useState(null);
  const [training, setTraining] = useState(false);
  const [problem, setProblem] = useState(null);

  const train = async () => {
    setProblem(null);
    setTraining(true);
    try {
      setJobId((await api('POST', '/api/v1/train', { body: { skus: [sku] } })).job_id);
    } catch (error) {
      setTraining(false);
      setProblem(error);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete ${sku} with its sales and models?`)) return;
    try {
      await api('DELETE', productPath(sku));
      navigate('/siprems');
    } catch (error) {
      setProblem(error);
    }
  };

  const item = product.data;
  const { sales, forecast, backtest, models } = outlook.data ?? {};
  return (
    <>
      <PageHeader title={item ? item.name : sku}>
        <a class="button" href="#/siprems">Back to the catalogue</a>
        {user?.role === 'admin' && (
          <button type="button" class="primary" onClick={train} disabled={training}>
            Train {sku}'s model
          </button>
        )}
        <button type="button" class="danger" onClick={remove}>Delete {sku}</button>
      </PageHeader>
      <ProblemBanner problem={problem ?? product.error} />
      {jobId !== null && (
        <TrainingJob key={jobId} jobId={jobId} onDone={() => { setTraining(false); outlook.reload(); }} />
      )}
      {outlook.error && <ProblemBanner problem={outlook.error} />}
      {sales && <Headline sales={sales} forecast={forecast} backtest={backtest} />}

      <Section aria-labelledby="forecast-title">
        <h2 id="forecast-title">Sales and forecast</h2>
        <div class="row" role="group" aria-label="Chart settings">
          <Field label="Periods ahead" as="select" value={String(horizon)} onChange={(e) => setView('horizon', e.currentTarget.value)}>
            {HORIZONS.map((h) => <option key={h} value={h}>{h}</option>)}
          </Field>
          <Field label="Sales shown" as="select" value={shown} onChange={(e) => setView('history', e.currentTarget.value)}>
            {HISTORIES.map(([value, text]) => <option key={value} value={value}>{text} {sales?.interval ?? 'period'}s</option>)}
          </Field>
        </div>
        {!outlook.data ? (
          !outlook.error && <Loading what="the forecast" />
        ) : sales.items.length === 0 ? (
          <Empty>No sales yet: record one below or import a CSV, and the forecast follows.</Empty>
        ) : (
          <>
            <ModelLine forecast={forecast} />
            <ForecastChart sku={sku} sales={sales} forecast={forecast} shown={shown} />
            <ForecastTable forecast={forecast} />
          </>
        )}
      </Section>

      <div class="grid">
        <Section title="Backtest against seasonal naive" data-testid="backtest">
          {!outlook.data ? (
            !outlook.error && <Loading what="the backtest" />
          ) : backtest ? (
            <Backtest backtest={backtest} interval={forecast?.interval} />
          ) : (
            <Empty>No trained model yet, so nothing to backtest.{user?.role === 'admin' ? ' Train one above.' : ' Models are trained after each import and nightly.'}</Empty>
          )}
        </Section>
        <Section title="Details">
          {!item ? (
            !product.error && <Loading what="the product" />
          ) : editing ? (
            <ProductForm product={item} onCancel={() => setEditing(false)}
                         onSaved={() => { setEditing(false); product.reload(); }} />
          ) : (
            <>
              <Details product={item} />
              <button type="button" onClick={() => setEditing(true)}>Edit {sku}</button>
            </>
          )}
        </Section>
      </div>

      <Section title="Record a sale">
        <SaleForm sku={sku} onRecorded={() => outlook.reload()} />
      </Section>

      <Section title="Model versions">
        {models ? <Versions models={models} /> : !outlook.error && <Loading what="the versions" />}
      </Section>
    </>
  );
}
