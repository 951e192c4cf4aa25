#!/bin/sh
# Extracts the SIPREMS seed catalogue (issue 21) from Debian 12 R packages and writes
# data/siprems/sales.csv (monthly) and data/siprems/sales_weekly.csv (the raw weekly tuna series): ten real
# sales and demand series, described with their sources and licences in data/siprems/SOURCES.md.
#
# R and the packages are only needed to (re)make the files; builds and tests read the committed CSVs. The
# script installs the Debian packages when missing (with sudo when not root) and writes byte-identical output
# on every run (sales.csv sha256 e4aa7896…683a with the versions in SOURCES.md).
#
# Usage: scripts/extract-siprems.sh [OUTPUT_DIR]   (default: data/siprems)
set -eu
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
packages="r-base-core r-cran-forecast r-cran-modeldata r-cran-bayesm"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
OUT="${1:-$repo_root/data/siprems}"
Rscript --vanilla - "$OUT" <<'RSCRIPT'
out <- commandArgs(trailingOnly = TRUE)[1]
suppressPackageStartupMessages({ library(datasets) })

# helper: monthly ts -> tidy rows
from_ts <- function(x, sku, name, category) {
  stopifnot(frequency(x) == 12)
  t0 <- as.Date(sprintf("%d-%02d-01", start(x)[1], start(x)[2]))
  data.frame(sku = sku, name = name, category = category,
             period = format(seq(t0, by = "month", length.out = length(x))),
             quantity = as.numeric(x), stringsAsFactors = FALSE)
}

rows <- list()

# 1. modeldata::drinks  (MIT) - FRED S4248SM144NCEN, USD millions, 1992-01..2017-09
data("drinks", package = "modeldata")
rows[[length(rows)+1]] <- data.frame(sku = "DRINKS-US-WHSL",
  name = "US beer, wine & liquor merchant wholesaler sales (USD million)",
  category = "beverages/alcohol", period = format(drinks$date),
  quantity = drinks$S4248SM144NCEN, stringsAsFactors = FALSE)

# 2. forecast::wineind (GPL-3) - Australian wine sales by wine makers, bottles <= 1 L
data("wineind", package = "forecast")
rows[[length(rows)+1]] <- from_ts(wineind, "WINE-AU",
  "Australian wine sales by wine makers, bottles <= 1 litre", "beverages/wine")

# 3. datasets::AirPassengers (R, GPL-2|3) - monthly airline passengers (thousands)
rows[[length(rows)+1]] <- from_ts(AirPassengers, "AIRPAX-INTL",
  "International airline passengers (thousands), Box & Jenkins series G", "travel/air")

# 4-10. bayesm::tuna (GPL-2+) - Dominick's Finer Foods (Chicago) chain-level weekly unit sales.
# Dominick's week 1 starts Thursday 1989-09-14 (checked: customer-count peaks fall in the
# weeks before Thanksgiving / around 4 July under this anchor).
data("tuna", package = "bayesm")
brands <- c("Star Kist 6 oz", "Chicken of the Sea 6 oz", "Bumble Bee Solid 6.12 oz",
            "Bumble Bee Chunk 6.12 oz", "Geisha 6 oz", "Bumble Bee Large Cans",
            "HH Chunk Lite 6.5 oz")
wstart <- as.Date("1989-09-14") + 7 * (tuna$WEEK - 1)
weekly <- list(); monthly <- list()
blk <- tuna$WEEK <= 210            # weeks 1..210 are gap-free (later weeks have holes)
for (b in 1:7) {
  mv <- tuna[[paste0("MOVE", b)]]
  sku <- sprintf("TUNA-%d", b); nm <- paste("Canned tuna,", brands[b], "(units, Dominick's chain)")
  weekly[[b]] <- data.frame(sku = sku, name = nm, category = "grocery/canned-tuna",
                            period = format(wstart), quantity = mv, stringsAsFactors = FALSE)
  # monthly: spread each week's units evenly over its 7 days, sum by calendar month,
  # keep only months fully covered by the gap-free block (1989-10 .. 1993-08)
  days <- rep(wstart[blk], each = 7) + rep(0:6, sum(blk))
  per_day <- rep(mv[blk] / 7, each = 7)
  m <- format(days, "%Y-%m-01")
  agg <- tapply(per_day, m, sum)
  full <- names(agg) >= "1989-10-01" & names(agg) <= "1993-08-01"
  monthly[[b]] <- data.frame(sku = sku, name = nm, category = "grocery/canned-tuna",
                             period = names(agg)[full], quantity = round(as.numeric(agg[full])),
                             stringsAsFactors = FALSE)
}
res <- do.call(rbind, c(rows, monthly))
write.csv(res, file.path(out, "sales.csv"), row.names = FALSE)
write.csv(do.call(rbind, weekly), file.path(out, "sales_weekly.csv"), row.names = FALSE)
RSCRIPT
