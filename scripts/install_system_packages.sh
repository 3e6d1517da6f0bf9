#!/usr/bin/env bash
# The system programs the checks need, from apt, only where missing (CI's Debian machine has none at
# first; GitHub's Ubuntu runners already ship Chromium and Node.js, so there only poppler-utils is
# installed). Called by .ci/run and by .github/workflows/site.yml, so the two cannot drift.
#   chromium           headless browser: the offline check, the accessibility audit, browser tests
#   pdftotext          poppler-utils: reads back the reports printed to PDF (tests/test_report_print.py)
#   npm (and node)     installs axe-core from tools/axe/package-lock.json for the audit
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing from apt: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

chromium --version
# Not "| head -n 1": head exits after one line, pdftotext then dies of SIGPIPE and pipefail makes
# that exit 141 (what failed CI on 3f4e70a). sed reads to the end.
pdftotext -v 2>&1 | sed -n 1p
echo "node $(node --version), npm $(npm --version)"
