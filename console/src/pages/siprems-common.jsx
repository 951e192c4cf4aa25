// What the SIPREMS views share: how figures read and where a product lives.

// A quantity or an error measure to `digits` decimals at most, grouped the reader's way; a dash for none.
export function amount(value, digits = 1) {
  if (value == null || Number.isNaN(value)) return '—';
  return value.toLocaleString(undefined, { maximumFractionDigits: digits });
}

export const productPath = (sku) => `/api/v1/products/${encodeURIComponent(sku)}`;
export const productHref = (sku) => `#/siprems/product?sku=${encodeURIComponent(sku)}`;

// A figure to exactly `digits` decimals, so that a column of them lines up (error measures, forecasts).
export function fixed(value, digits) {
  if (value == null || Number.isNaN(value)) return '—';
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// A period by its first day ("2025-01-01") as the interval names it: "Jan 2025", "week of 2025-01-06", or
// the day.
export function periodName(first, interval) {
  if (!first) return '—';
  if (interval === 'month')
    return new Date(`${first}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
  return interval === 'week' ? `week of ${first}` : first;
}
