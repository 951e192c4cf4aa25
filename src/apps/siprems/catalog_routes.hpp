// The catalogue routes: /api/v1/products (CRUD by SKU), POST /api/v1/sales (one or many rows),
// POST /api/v1/sales/import (a CSV, streamed, all or nothing) and GET /api/v1/products/{sku}/sales (summed
// per day, week or month by the database).
#pragma once

#include "apps/siprems/siprems_config.hpp"
#include "core/async.hpp"
#include "http/message.hpp"

namespace keel {
class Metrics;
namespace http {
class Router;
}
namespace jobs {
class JobQueue;
}
}  // namespace keel

namespace keel::siprems {

class ProductStore;
class SalesStore;
class ServedModels;

class CatalogRoutes {
 public:
  CatalogRoutes(ProductStore& products, SalesStore& sales, ServedModels& served, jobs::JobQueue& jobs,
                const SipremsOptions& options)
      : products_(products), sales_(sales), served_(served), jobs_(jobs), options_(options) {}

  void AddTo(http::Router& router);

 private:
  Task<http::Response> CreateProduct(http::Request& request);
  Task<http::Response> ListProducts(http::Request& request);
  Task<http::Response> GetProduct(http::Request& request);
  Task<http::Response> PatchProduct(http::Request& request);
  Task<http::Response> DeleteProduct(http::Request& request);
  Task<http::Response> AddSales(http::Request& request);
  Task<http::Response> ImportSales(http::Request& request);
  Task<http::Response> SalesOf(http::Request& request);

  ProductStore& products_;
  SalesStore& sales_;
  ServedModels& served_;
  jobs::JobQueue& jobs_;
  const SipremsOptions& options_;
};

}  // namespace keel::siprems
