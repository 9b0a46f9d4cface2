#!/usr/bin/env bash
# How long headless chromium takes to reach DOMContentLoaded on the HTML
# report of an assessment with 10,000 findings (issue 19 asks for under 2 s).
# Renders the page with temper-report's own test data (tests/render.rs), then
# loads it from a file:// URL in an iframe of a small probe page that writes
# the report's Navigation Timing into its DOM, read back with --dump-dom.
# Prints the size and the times in milliseconds; asserts nothing.
#   usage: scripts/bench-report.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TEMPER_REPORT_BENCH_OUT="$work/report.html" cargo test --quiet -p temper-report --test render ten_thousand_findings_stay_under_five_megabytes >/dev/null
page="$work/report.html"
echo "report: $(stat -c %s "$page") bytes, $(grep -c '<tr data-severity=' "$page") finding rows"
# The probe: the report in an iframe (same origin under file:// with the
# flag below), its DOMContentLoaded from Navigation Timing written into the DOM.
cat >"$work/probe.html" <<'HTML'
<!DOCTYPE html><html><body><iframe id="r" src="report.html" width="1280" height="800"></iframe>
<pre id="out"></pre>
<script>
document.getElementById("r").addEventListener("load", function () {
  var t = this.contentWindow.performance.getEntriesByType("navigation")[0];
  document.getElementById("out").textContent = "dcl=" + t.domContentLoadedEventEnd.toFixed(0) + " load=" + t.loadEventEnd.toFixed(0);
});
</script></body></html>
HTML
for i in $(seq "$runs"); do
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-extensions --no-first-run \
    --allow-file-access-from-files --user-data-dir="$profile" --dump-dom "file://$work/probe.html" 2>/dev/null |
    grep -o 'dcl=[0-9]* load=[0-9]*' | sed "s/^/run $i: ms /"
  rm -rf "$profile"
done
