// SIPREMS forms: a product (new or changed), one sale of a product, and a CSV of sales imported all or nothing.
import { useState } from 'preact/hooks';
import { Problem, problemOf, request, api } from '../api.js';
import { Field, ProblemBanner, useSubmit } from '../ui.jsx';
import { productPath } from './siprems-common.jsx';
import { TrainingJob } from './siprems-training.jsx';

const PRODUCT_FIELDS = ['sku', 'name', 'category', 'price', 'stock', 'active', 'body'];

// An optional number field: left out of a new product when empty, cleared (null) on a changed one. A value
// the browser could not read as a number is sent as it is, for Keel to say what is wrong with it.
function optionalNumber(text, clearing) {
  if (text === '') return clearing ? null : undefined;
  const value = Number(text);
  return Number.isNaN(value) ? text : value;
}

// `product` absent: a new product (its SKU asked for). `onSaved(product)` after Keel accepted it.
export function ProductForm({ product, onSaved, onCancel }) {
  const form = useSubmit(async (values, element) => {
    const body = {
      name: values.name,
      category: values.category === '' ? undefined : values.category,
      price: optionalNumber(values.price, Boolean(product)),
      stock: optionalNumber(values.stock, Boolean(product)),
      active: values.active === 'true',
    };
    const saved = product
      ? await api('PATCH', productPath(product.sku), { body })
      : await api('POST', '/api/v1/products', { body: { sku: values.sku, ...body } });
    if (!product) element.reset();
    onSaved(saved);
  });
  const error = (name) => form.problem?.field?.(name);
  return (
    <form onSubmit={form.onSubmit} noValidate aria-label={product ? `Edit ${product.sku}` : 'New product'}>
      <div class="grid">
        {!product && (
          <Field label="SKU" name="sku" required maxLength={64} autocomplete="off" error={error('sku')}
                 hint="Letters, digits, '.', '_' and '-'" />
        )}
        <Field label="Name" name="name" required maxLength={200} defaultValue={product?.name} error={error('name')} />
        <Field label="Category" name="category" maxLength={100} defaultValue={product?.category}
               error={error('category')} hint={product ? undefined : 'Empty: uncategorized'} />
        <Field label="Price" name="price" type="number" min={0} step="0.01" inputMode="decimal"
               defaultValue={product?.price ?? ''} error={error('price')} />
        <Field label="Stock" name="stock" type="number" min={0} step={1} inputMode="numeric"
               defaultValue={product?.stock ?? ''} error={error('stock')} />
        <Field label="Status" name="active" as="select" defaultValue={String(product?.active ?? true)} error={error('active')}>
          <option value="true">active</option>
          <option value="false">inactive</option>
        </Field>
      </div>
      <ProblemBanner problem={form.problem} shown={PRODUCT_FIELDS} />
      {error('body') && <p class="error">{error('body')}</p>}
      <div class="row">
        <button class="primary" disabled={form.busy}>{product ? 'Save' : 'Add the product'}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}

const today = () => new Date().toISOString().slice(0, 10);

// One sale of `sku`; `onRecorded()` once it is written.
export function SaleForm({ sku, onRecorded }) {
  const [recorded, setRecorded] = useState(null);
  const form = useSubmit(async (values) => {
    const body = {
      sku,
      date: values.date,
      quantity: optionalNumber(values.quantity, false),
      unit_price: optionalNumber(values.unit_price, false),
    };
    await api('POST', '/api/v1/sales', { body });
    setRecorded(body);
    onRecorded();
  });
  const error = (name) => form.problem?.field?.(name);
  return (
    <form onSubmit={form.onSubmit} noValidate aria-label={`Record a sale of ${sku}`}>
      <div class="grid">
        <Field label="Date" name="date" type="date" required defaultValue={today()} error={error('date')} />
        <Field label="Quantity" name="quantity" type="number" required min={0} step="any" inputMode="decimal"
               error={error('quantity')} />
        <Field label="Unit price" name="unit_price" type="number" min={0} step="0.01" inputMode="decimal"
               hint="Optional: counts the sale's revenue" error={error('unit_price')} />
      </div>
      <ProblemBanner problem={form.problem} shown={['sku', 'date', 'quantity', 'unit_price']} />
      <div class="row" style={{ alignItems: 'center' }}>
        <button class="primary" disabled={form.busy}>Record the sale</button>
        {recorded && !form.problem && (
          <span role="status">Recorded {recorded.quantity} on {recorded.date}.</span>
        )}
      </div>
    </form>
  );
}

// The import's answer as a Problem that also carries the bad lines Keel listed (`lines`, `bad_lines`).
async function importProblem(response) {
  const problem = await problemOf(response.clone());
  try {
    const body = await response.json();
    problem.lines = Array.isArray(body.lines) ? body.lines : [];
    problem.badLines = body.bad_lines ?? problem.lines.length;
  } catch {
    problem.lines = [];
  }
  return problem;
}

function BadLines({ problem }) {
  if (!problem?.lines?.length) return null;
  return (
    <div class="problem" role="alert">
      <strong>{problem.message}</strong>
      <ul>
        {problem.lines.map((line) => <li key={line.line}>Line {line.line}: {line.reason}</li>)}
      </ul>
      {problem.badLines > problem.lines.length && <p>…and {problem.badLines - problem.lines.length} more.</p>}
    </div>
  );
}

// A CSV of sales (header sku,date,quantity and optionally unit_price); Keel retrains the products it touched,
// and that training is followed here.
export function ImportForm() {
  const [imported, setImported] = useState(null);
  const form = useSubmit(async (values, element) => {
    const file = values.file;
    if (!(file instanceof File) || file.size === 0) throw new Problem(422, { detail: 'Choose a CSV file first.' });
    setImported(null);
    const response = await request('POST', '/api/v1/sales/import', { body: file, headers: { 'Content-Type': 'text/csv' } });
    if (!response.ok) throw await importProblem(response);
    const summary = await response.json();
    element.reset();
    setImported(summary);
  });
  const lines = form.problem?.lines?.length > 0;
  return (
    <form onSubmit={form.onSubmit} noValidate aria-label="Import sales">
      <Field label="Sales CSV" name="file" type="file" accept=".csv,text/csv" required
             hint="A header naming sku, date (YYYY-MM-DD) and quantity, optionally unit_price; then one sale a line. One bad line and nothing is written."
             error={form.problem?.field?.('body')} />
      {lines ? <BadLines problem={form.problem} /> : <ProblemBanner problem={form.problem} shown={['body']} />}
      <button class="primary" disabled={form.busy}>{form.busy ? 'Importing…' : 'Import the sales'}</button>
      {imported && (
        <>
          <p class="notice" role="status">
            Imported {imported.rows} sale(s) of {imported.skus.join(', ')}, from {imported.from} to {imported.to}.
          </p>
          {imported.training_job_id && <TrainingJob jobId={imported.training_job_id} />}
        </>
      )}
    </form>
  );
}
