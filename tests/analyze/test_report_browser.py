"""The report in a real browser: headless Chromium loads it and every chart must have rendered.

A copy of the page gets a small checker script (the report itself has none, and its Content
Security Policy forbids scripts; the copy allows inline script and otherwise keeps the policy, so
images still load under the report's own `img-src data:` rule). The checker waits for the load
event, then writes what it saw into the DOM, which ``--dump-dom`` prints.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from twitter_pipeline.analyze.report import CSP, build_report

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

CHECKER = """
<script>
window.__errors = [];
window.addEventListener('error', function (ev) {
  window.__errors.push(ev.message || ('failed to load ' + ((ev.target && ev.target.tagName) || '?')));
}, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.querySelectorAll('img'));
  var broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; })
                   .map(function (i) { return i.alt; });
  var charts = imgs.filter(function (i) { return i.dataset.chart === '1'; });
  var out = document.createElement('pre');
  out.id = 'browser-check';
  out.textContent = JSON.stringify({
    images: imgs.length, charts: charts.length, broken: broken, errors: window.__errors,
    widths: charts.map(function (i) { return i.getBoundingClientRect().width; }),
    sections: document.querySelectorAll('section.card').length,
    title: document.title
  });
  document.body.appendChild(out);
});
</script>
"""


def render_in_chromium(page: str, workdir: Path) -> dict:
    """Load `page` in headless Chromium (no network) and return the checker's findings."""
    policy = CSP
    assert policy in page, "the report's CSP changed: update this test"
    checked = page.replace(policy, policy + "; script-src 'unsafe-inline'").replace(
        "<head>", "<head>" + CHECKER, 1
    )
    target = workdir / "checked.html"
    target.write_text(checked, encoding="utf-8")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={workdir / 'profile'}",
        "--virtual-time-budget=10000",
        "--window-size=1280,2000",
        "--dump-dom",
        target.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r'<pre id="browser-check">(.*?)</pre>', done.stdout, re.S)
    assert match, "the checker did not run: " + done.stdout[-500:]
    import html

    return json.loads(html.unescape(match.group(1)))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_every_chart_renders_in_chromium(demo_lake: Path, tmp_path: Path) -> None:
    report = build_report(str(demo_lake))
    seen = render_in_chromium(report.html, tmp_path)
    assert seen["errors"] == []
    assert seen["broken"] == []
    assert seen["charts"] == report.charts >= 8
    assert all(width > 200 for width in seen["widths"]), seen["widths"]
    assert seen["sections"] == len(report.sections)
    assert str(demo_lake) in seen["title"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_hostile_text_does_not_execute(hostile_lake: Path, tmp_path: Path) -> None:
    seen = render_in_chromium(build_report(str(hostile_lake)).html, tmp_path)
    # an injected <img onerror> or <script> would show up as a broken image or an error
    assert seen["errors"] == [] and seen["broken"] == []
    assert seen["images"] == seen["charts"]
