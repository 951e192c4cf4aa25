-- SIPREMS: the product catalogue, its sales, and each product's forecasting models (every trained version,
-- the one served, and the refused ones with why).
CREATE TABLE siprems_products (
  sku TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  price REAL,      -- NULL: not known (the real catalogue's series carry no price)
  stock INTEGER,   -- NULL: not tracked
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  source TEXT NOT NULL,  -- user, catalogue (the real seed series), synthetic (the scale generator)
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX siprems_products_category ON siprems_products (category, sku);

CREATE TABLE siprems_sales (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL REFERENCES siprems_products(sku) ON DELETE CASCADE,
  day TEXT NOT NULL,           -- YYYY-MM-DD
  day_number INTEGER NOT NULL, -- days since 1970-01-01, so weeks group by arithmetic on either backend
  quantity REAL NOT NULL,
  unit_price REAL,
  import_id TEXT,              -- the CSV import that wrote it
  created_ms INTEGER NOT NULL
);
CREATE INDEX siprems_sales_sku_day ON siprems_sales (sku, day_number);

CREATE TABLE siprems_models (
  sku TEXT NOT NULL REFERENCES siprems_products(sku) ON DELETE CASCADE,
  version TEXT NOT NULL,       -- SKU_YYYY-MM-DDTHHMMSSmmmZ: the product and when it was trained
  family TEXT NOT NULL,        -- seasonal_naive, holt_winters
  status TEXT NOT NULL,        -- served, retired (a newer one serves), refused (worse than the one served)
  reason TEXT,                 -- why it was refused
  model TEXT NOT NULL,         -- JSON: parameters, states and the series it was fitted to
  metrics TEXT NOT NULL,       -- JSON: holdout split and accuracy, rolling-origin backtest, baseline
  mase REAL NOT NULL,          -- rolling-origin backtest MASE, what a newer version must not exceed
  trained_ms INTEGER NOT NULL,
  PRIMARY KEY (sku, version)
);
CREATE UNIQUE INDEX siprems_models_served ON siprems_models (sku) WHERE status = 'served';
CREATE INDEX siprems_models_trained ON siprems_models (sku, trained_ms DESC);
