"""The HTML report, as a person sees it: written by a real run, loaded in headless chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from properties import run
from properties.results.report import index_page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND")  # offline: a page that fetched anything would show it


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, object]:
    """A quick verdict on an engine with a wrong 5 - x (met at ordinary inputs) and a crash of c / x
    at tiny x (only at extreme ones), and its report."""
    result = run("mutant_engines.multi_traversal_rsub_div:Value", ops=["rsub", "rtruediv", "mul"], profile="quick",
                 quick=True)
    return result.report(tmp_path_factory.mktemp("report") / "engine.html"), result


def test_the_report_has_every_finding_ordinary_first_the_accuracy_table_and_a_plot_per_op(page):
    path, result = page
    html = path.read_text(encoding="utf-8")
    met = [f.met_at for f in result.findings]
    assert "ordinary" in met and "extreme" in met and met == sorted(met, key=["ordinary", "extreme"].index)
    for n, finding in enumerate(result.findings, 1):
        section = re.search(rf"<section class='finding [^']*' id='finding-{n}'.*?</section>", html, re.S).group(0)
        assert finding.met_at in section and "<pre>" in section
    assert html.index("Met at ordinary inputs") < html.index("Met only at extreme inputs")
    assert "<table class='accuracy'>" in html
    assert re.findall(r"<figure class='plot' data-op='(\w+)'>\s*<svg", html) == ["rsub", "mul", "rtruediv"]


def test_the_report_works_offline(page):
    html = page[0].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # no CDN, no fetched asset
    assert "<script" not in html and "<link" not in html


def _chromium(*args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium (apt-get install chromium)")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    return subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # a browser of its own, twice: run by .ci/run (pytest -m slow)
def test_a_browser_shows_every_finding_and_every_plot(page, tmp_path):
    path, result = page
    shown = _chromium(f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri())
    dom = shown.stdout
    assert dom.count("class=\"finding ") == len(result.findings) > 0, shown.stderr[-2000:]
    for n in range(1, len(result.findings) + 1):
        assert f'id="finding-{n}"' in dom
    figures = re.findall(r'<figure class="plot" data-op="(\w+)">\s*<svg', dom)
    assert sorted(figures) == sorted(result.json["accuracy"])


@pytest.mark.slow
def test_a_screenshot_of_the_report_is_not_blank(page, tmp_path):
    from PIL import Image

    shot = tmp_path / "report.png"
    _chromium(f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2400",
              page[0].as_uri())
    image = Image.open(shot).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20)
    assert image.size == (1200, 2400) and len(colors) > 50  # text, badges, a table and plots: not one flat colour
    background = max(colors)[0] / (image.size[0] * image.size[1])
    assert background < 0.97


def test_the_field_index_ranks_engines_by_the_findings_a_user_will_meet():
    html = index_page([
        {"engine": "a==1", "page": "01-a.html", "status": "ran", "ordinary": 0, "extreme": 3, "worst_op": "exp 2 ulp"},
        {"engine": "b==1", "page": "02-b.html", "status": "ran", "ordinary": 2, "extreme": 0, "worst_op": ""},
        {"engine": "c==1", "page": None, "status": "error", "detail": "no such package"},
    ])
    assert html.index("b==1") < html.index("a==1") < html.index("c==1")
    assert "<a href='01-a.html'>a==1</a>" in html and "not run: no such package" in html
