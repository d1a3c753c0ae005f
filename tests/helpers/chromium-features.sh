#!/usr/bin/env bash
# Chromium (the one named by SEEDS_CHROMIUM) with every --disable-features switch merged into one. Chromium keeps only
# the last of a repeated switch, so the list Playwright passes and the one tests/helpers/browser.ts adds would
# otherwise replace each other instead of adding up.
set -euo pipefail
features=()
args=()
for arg in "$@"; do
  case "$arg" in
    --disable-features=*) features+=("${arg#--disable-features=}") ;;
    *) args+=("$arg") ;;
  esac
done
if [ ${#features[@]} -gt 0 ]; then
  args+=("--disable-features=$(IFS=,; echo "${features[*]}")")
fi
exec "${SEEDS_CHROMIUM:?the Chromium to start}" "${args[@]}"
