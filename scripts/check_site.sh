#!/usr/bin/env bash
# The checks of a built site, after `make reports`: called by .ci/run and by
# .github/workflows/site.yml (before it publishes reports/), so the two cannot drift.
#   1. offline: every page opens with the network blocked, every chart renders, no console error;
#   2. accessible: axe-core audits every page; a serious or critical violation fails;
#   3. deterministic: a second forced build elsewhere gives byte-identical HTML, CSV and SVG.
# Needs chromium and npm (scripts/install_system_packages.sh) and the .venv that `make reports` made.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f reports/index.html ] || [ ! -x .venv/bin/python ]; then
  echo "check_site: no built site here; run \`make reports\` first" >&2
  exit 2
fi

# axe-core for the audit, pinned in tools/axe/package-lock.json.
npm ci --prefix tools/axe --no-audit --no-fund

# The index and every report of the catalog (reports.yml).
listed="$(.venv/bin/python -c \
  'import yaml; print("reports/index.html"); [print("reports/%s.html" % r["slug"]) for r in yaml.safe_load(open("reports.yml"))["reports"]]')"
mapfile -t pages <<< "$listed"

# Offline: every report opens with the network blocked, every chart renders, no console error.
.venv/bin/python -m analysis.report.offline "${pages[@]}"

# Accessible: axe-core in the same headless Chromium audits every page; a serious or critical
# violation fails the run (minor and moderate ones are listed).
.venv/bin/python -m analysis.report.audit "${pages[@]}"

# Deterministic: a second forced build elsewhere gives byte-identical HTML, CSV and SVG.
# The record of what changed is history the site carries from build to build (changes.json,
# published.json): the second build starts from the same history, so it shows the same entries.
again="$(mktemp -d)"
trap 'rm -rf "$again"' EXIT
for history in changes.json published.json; do
  if [ -f "reports/$history" ]; then cp "reports/$history" "$again/$history"; fi
done
.venv/bin/claims build --force --out "$again" --progress plain
compared=0
while IFS= read -r -d '' file; do
  rel="${file#reports/}"
  cmp -s "$file" "$again/$rel" || { echo "not deterministic: $rel" >&2; exit 1; }
  compared=$((compared + 1))
done < <(find reports -path reports/.build -prune -o -type f \( -name '*.html' -o -name '*.csv' -o -name '*.svg' \) -print0)
echo "determinism: $compared HTML/CSV/SVG files byte-identical across two builds"
