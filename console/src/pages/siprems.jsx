// SIPREMS: the product catalogue (added, changed, deleted, filtered), sales imported from a CSV, every model
// retrained by an administrator, one product's forecast and backtest (#/siprems/product?sku=), and the sales
// assistant (#/siprems/chat).
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Badge, Empty, Field, Loading, PageHeader, Pager, ProblemBanner, Section, TableWrap } from '../ui.jsx';
import { Chat } from './siprems-chat.jsx';
import { ImportForm, ProductForm } from './siprems-forms.jsx';
import { ProductView } from './siprems-product.jsx';
import { amount, productHref, productPath } from './siprems-common.jsx';
import { TrainingJob } from './siprems-training.jsx';

const PER_PAGE = 20;
const VIEWS = [['/siprems', 'Catalogue'], ['/siprems/chat', 'Sales assistant']];

function Views({ path }) {
  return (
    <nav aria-label="SIPREMS" class="row" style={{ marginBottom: '1rem' }}>
      {VIEWS.map(([href, label]) => (
        <a key={href} href={`#${href}`} aria-current={path === href ? 'page' : undefined}
           style={path === href ? { fontWeight: 600 } : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

function ProductRow({ product, onEdit, onDelete }) {
  return (
    <tr data-sku={product.sku}>
      <td style={{ minWidth: '14rem' }}>
        <a href={productHref(product.sku)}><code>{product.sku}</code></a>
        <div>{product.name}</div>
      </td>
      <td>{product.category}</td>
      <td class="num">{product.price == null ? '—' : amount(product.price, 2)}</td>
      <td class="num">{amount(product.stock, 0)}</td>
      <td><Badge value={product.active ? 'active' : 'inactive'} /></td>
      <td>
        <div class="row" style={{ flexWrap: 'nowrap', gap: '0.5rem' }}>
          <button type="button" aria-label={`Edit ${product.sku}`} onClick={onEdit}>Edit</button>
          <button type="button" class="danger" aria-label={`Delete ${product.sku}`} onClick={onDelete}>Delete</button>
        </div>
      </td>
    </tr>
  );
}

function Catalogue({ route, user }) {
  const filters = {
    category: route.query.category ?? '',
    active: route.query.active ?? '',
    page: Number(route.query.page ?? 1),
  };
  const list = useResource(() => api('GET', '/api/v1/products' + query({ ...filters, per_page: PER_PAGE })),
                           [filters.category, filters.active, filters.page]);
  const active = useResource(() => api('GET', '/api/v1/products?active=true&per_page=1'), []);
  const [editing, setEditing] = useState(null);
  const [problem, setProblem] = useState(null);
  const [trainingJob, setTrainingJob] = useState(null);
  const setFilter = (name, value) => navigate('/siprems', { ...filters, [name]: value, page: name === 'page' ? value : 1 });
  const changed = () => {
    list.reload();
    active.reload();
  };

  const remove = async (product) => {
    if (!confirm(`Delete ${product.sku} with its sales and models?`)) return;
    setProblem(null);
    try {
      await api('DELETE', productPath(product.sku));
      changed();
    } catch (error) {
      setProblem(error);
    }
  };
  const trainAll = async () => {
    setProblem(null);
    try {
      setTrainingJob((await api('POST', '/api/v1/train', { body: {} })).job_id);
    } catch (error) {
      setProblem(error);
    }
  };

  const items = list.data?.items ?? [];
  const filtered = filters.category !== '' || filters.active !== '';
  return (
    <>
      <div class="stats">
        <div><div class="label">Products</div><div class="stat" data-testid="product-count">{filtered ? '—' : list.data?.total ?? '…'}</div></div>
        <div><div class="label">Active</div><div class="stat">{active.data?.total ?? '…'}</div></div>
      </div>
      <Section aria-labelledby="products-title">
        <div class="section-head">
          <h2 id="products-title">Products</h2>
          {user?.role === 'admin' && (
            <div class="actions">
              <button type="button" onClick={trainAll}>Retrain every model</button>
            </div>
          )}
        </div>
        {trainingJob && <TrainingJob key={trainingJob} jobId={trainingJob} />}
        <div class="row" role="group" aria-label="Filters">
          <Field label="Category" value={filters.category} placeholder="any"
                 onChange={(e) => setFilter('category', e.currentTarget.value.trim())} />
          <Field label="Status" as="select" value={filters.active} onChange={(e) => setFilter('active', e.currentTarget.value)}>
            <option value="">any</option>
            <option value="true">active</option>
            <option value="false">inactive</option>
          </Field>
        </div>
        <ProblemBanner problem={problem ?? list.error} />
        {list.loading && !list.data ? (
          <Loading what="products" />
        ) : items.length === 0 ? (
          <Empty>{filtered ? 'No product matches.' : 'The catalogue is empty: add a product, or import sales for products you added.'}</Empty>
        ) : (
          <TableWrap label="Product table">
            <table>
              <thead>
                <tr>
                  <th>Product</th><th>Category</th><th class="num">Price</th><th class="num">Stock</th><th>Status</th>
                  <th><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {items.map((product) =>
                  editing === product.sku ? (
                    <tr key={product.sku}>
                      <td colSpan={6}>
                        <ProductForm product={product} onCancel={() => setEditing(null)}
                                     onSaved={() => { setEditing(null); changed(); }} />
                      </td>
                    </tr>
                  ) : (
                    <ProductRow key={product.sku} product={product} onEdit={() => setEditing(product.sku)}
                                onDelete={() => remove(product)} />
                  ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {list.data && <Pager page={filters.page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => setFilter('page', p)} />}
      </Section>
      <div class="grid">
        <Section title="New product">
          <ProductForm onSaved={changed} />
        </Section>
        <Section title="Import sales">
          <ImportForm />
        </Section>
      </div>
    </>
  );
}

export default function Siprems({ route, user }) {
  const path = route.path.replace(/\/$/, '');
  if (path === '/siprems/product') return <ProductView key={route.query.sku} route={route} user={user} />;
  return (
    <>
      <PageHeader title="SIPREMS" />
      <Views path={path} />
      {path === '/siprems/chat' ? <Chat /> : <Catalogue route={route} user={user} />}
    </>
  );
}
