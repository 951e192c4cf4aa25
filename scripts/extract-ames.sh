#!/usr/bin/env bash
# Extracts the Ames, Iowa house sales (De Cock 2011) from the R package
# modeldata and writes them as data/ames_housing.csv: 2,930 sales, 12 numeric
# features and the sale price, in the package's row order.
#
# Source:  R package modeldata, data set `ames` (MIT licence, Copyright 2019
#          Max Kuhn, RStudio), as packaged by Debian: r-cran-modeldata 1.1.0-1
#          (bookworm), run with r-base-core 4.2.2.20221110-2. The committed CSV
#          was made with exactly these versions (`dpkg-query -W r-cran-modeldata`).
# Data:    De Cock, D. (2011) "Ames, Iowa: Alternative to the Boston Housing
#          Data as an End of Semester Regression Project", Journal of
#          Statistics Education 19(3).
#
# R and modeldata are only needed to (re)make the file; builds and tests read
# the committed CSV. The script installs the two Debian packages when they are
# missing (with sudo when not root), does nothing else to the system, and
# writes byte-identical output on every run.
#
# Usage: scripts/extract-ames.sh [OUTPUT_CSV]   (default: data/ames_housing.csv)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo_root/data/ames_housing.csv}"
expected_version="1.1.0-1"

packages=(r-base-core r-cran-modeldata)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "extract-ames: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

version="$(dpkg-query -W -f='${Version}' r-cran-modeldata)"
if [ "$version" != "$expected_version" ]; then
  echo "extract-ames: warning: r-cran-modeldata is $version, the committed CSV came from $expected_version" >&2
fi

tmpdir="$(mktemp -d)"
trap 'rm -rf "$tmpdir"' EXIT

cat >"$tmpdir/extract.R" <<'EOF'
out <- commandArgs(trailingOnly = TRUE)[1]
suppressPackageStartupMessages(library(modeldata))
data(ames, package = "modeldata", envir = environment())

# modeldata's ames has no Overall_Qual (dropped upstream as outcome-like);
# Overall_Cond is an unordered factor whose levels are in rating order, so the
# level index is the 1..10 rating of the original data documentation.
cond_levels <- c("Very_Poor", "Poor", "Fair", "Below_Average", "Average",
                 "Above_Average", "Good", "Very_Good", "Excellent",
                 "Very_Excellent")
stopifnot(identical(levels(ames$Overall_Cond), cond_levels))

whole <- function(x) {
  stopifnot(!anyNA(x), all(x == round(x)))
  sprintf("%d", as.integer(x))
}
coord <- function(x) {
  stopifnot(!anyNA(x))
  sprintf("%.6f", x)
}

cols <- list(
  living_area_sqft  = whole(ames$Gr_Liv_Area),
  lot_area_sqft     = whole(ames$Lot_Area),
  year_built        = whole(ames$Year_Built),
  year_remodeled    = whole(ames$Year_Remod_Add),
  overall_condition = whole(as.integer(ames$Overall_Cond)),
  bedrooms          = whole(ames$Bedroom_AbvGr),
  full_baths        = whole(ames$Full_Bath),
  half_baths        = whole(ames$Half_Bath),
  garage_cars       = whole(ames$Garage_Cars),
  basement_sqft     = whole(ames$Total_Bsmt_SF),
  latitude          = coord(ames$Latitude),
  longitude         = coord(ames$Longitude),
  sale_price        = whole(ames$Sale_Price)
)
stopifnot(nrow(ames) == 2930L, all(lengths(cols) == nrow(ames)))

lines <- c(paste(names(cols), collapse = ","), do.call(paste, c(cols, sep = ",")))
con <- file(out, open = "wb")
writeLines(lines, con, sep = "\n", useBytes = TRUE)
close(con)
EOF

mkdir -p "$(dirname "$out")"
LC_ALL=C Rscript --vanilla "$tmpdir/extract.R" "$tmpdir/ames_housing.csv"
mv "$tmpdir/ames_housing.csv" "$out"
echo "extract-ames: wrote $out ($(($(wc -l <"$out") - 1)) rows)" >&2
