"""The report in a real browser: headless Chromium opens the demo's report, finds no console
errors, finds the map and charts drawn, moves the replay, and saves a screenshot."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from leapsim.report import write_report
from report_fixtures import make_campaign_folder
from test_report_views import EVIL, EVIL_KIND, make_hostile_folder, register_example_view

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)

# Distinct colours in a sample of the canvas: a blank or single-colour canvas has one or two.
CANVAS_COLOURS = """
const c = arguments[0], ctx = c.getContext('2d');
const d = ctx.getImageData(0, 0, c.width, c.height).data, seen = new Set();
for (let i = 0; i < d.length; i += 4 * 7) seen.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);
return seen.size;
"""
CANVAS_SUM = """
const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let s = 0; for (let i = 0; i < d.length; i += 1) s = (s * 31 + d[i]) % 1000000007; return s;
"""
SET_TIME = """
const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('input'));
"""


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.skip(
            "headless Chromium is not installed (apt-get install chromium chromium-driver; "
            ".ci/run installs them)"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="leapsim-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open(driver, page: Path) -> None:
    driver.get(page.resolve().as_uri())
    deadline = time.time() + 20
    while not driver.execute_script("return !!window.leapsimReport"):
        assert time.time() < deadline, "report script did not start"
        time.sleep(0.1)


def _console_errors(driver) -> list[dict]:
    """Errors, and warnings from the page's own code (Chromium's rendering hints, caused by
    this test's canvas readbacks, are not the page's)."""
    return [
        e
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" or (e["level"] == "WARNING" and e["source"] != "rendering")
    ]


def _screenshot(driver, path: Path) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1400, min(int(height) + 140, 8000))
    time.sleep(0.4)
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000


def _visible(driver, css: str) -> list:
    return [e for e in driver.find_elements("css selector", css) if e.is_displayed()]


def _assert_charts_drawn(driver) -> None:
    charts = _visible(driver, ".chart")
    assert charts
    for chart in charts:
        kind = chart.get_attribute("data-chart")
        marks = chart.find_elements("css selector", "svg rect, svg path, svg circle")
        empty = chart.find_elements("css selector", "p.empty")
        assert len(marks) >= 2 or (empty and kind == "horizon"), f"chart {kind} is empty"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's two results folders (legacy and LEAP), from the real engine."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("demo")
    r = run_cli("demo", "--runs", "10", "--jobs", "1", "--out", out)
    assert r.exit_code == 0, r.stderr
    return out


def test_demo_report_in_chromium(browser, demo, tmp_path):
    page = write_report(
        [demo / "legacy", demo / "leap"], tmp_path / "demo.html", labels=["legacy", "LEAP"]
    )
    _open(browser, page)
    assert _console_errors(browser) == []

    # map drawn: borders, rings and symbols give many colours
    canvas = _visible(browser, "canvas.map")[0]
    assert browser.execute_script(CANVAS_COLOURS, canvas) > 40
    _assert_charts_drawn(browser)

    # bars show the per-effector means of summary.json
    summary = json.loads((demo / "legacy" / "summary.json").read_text())
    bars = _visible(browser, '[data-name="effector-shots"]')[0].find_elements(
        "css selector", "rect[data-value]"
    )
    shown = sorted(float(b.get_attribute("data-value")) for b in bars)
    expected = sorted(
        summary["columns"][f"{k}.{e}"]["mean"]
        for e in summary["effector_types"]
        for k in ("shots", "kills")
        if summary["columns"][f"{k}.{e}"]["mean"] is not None
    )
    assert shown == pytest.approx(expected)

    # the slider moves the replay: counters follow replay.json, the picture changes
    replay = json.loads((demo / "legacy" / "replay.json").read_text())
    slider = _visible(browser, "input.slider")[0]
    browser.execute_script(SET_TIME, slider, 0)
    start = browser.execute_script(CANVAS_SUM, canvas)
    mid = replay["duration_s"] / 2
    browser.execute_script(SET_TIME, slider, mid)
    assert browser.execute_script(CANVAS_SUM, canvas) != start
    launched = sum(
        1
        for p, f in zip(replay["threats"]["path"], replay["threats"]["fate"], strict=True)
        if f != "not_launched" and p and p[0][3] <= mid
    )
    counters = _visible(browser, ".counters")[0].text
    assert f"launched {launched}" in counters

    # play runs the clock forward, pause stops it
    browser.execute_script(SET_TIME, slider, 0)
    play = _visible(browser, "button.play")[0]
    play.click()
    time.sleep(1.0)
    play.click()
    assert play.get_attribute("aria-label") == "play"
    assert float(slider.get_attribute("value")) > 0

    # the second result's tab draws its own map
    browser.find_element("css selector", '.tab[data-tab="1"]').click()
    canvas2 = _visible(browser, "canvas.map")[0]
    assert canvas2 != canvas
    browser.execute_script(SET_TIME, _visible(browser, "input.slider")[0], mid)
    assert browser.execute_script(CANVAS_COLOURS, canvas2) > 40
    _assert_charts_drawn(browser)
    assert _console_errors(browser) == []
    _screenshot(browser, tmp_path / "demo.png")


def test_campaign_report_in_chromium(browser, tmp_path):
    folder = make_campaign_folder(tmp_path / "campaign")
    page = write_report([folder], tmp_path / "campaign.html")
    _open(browser, page)
    canvas = _visible(browser, "canvas.map")[0]
    assert browser.execute_script(CANVAS_COLOURS, canvas) > 20
    _assert_charts_drawn(browser)
    stocks = _visible(browser, '[data-chart="stocks"] svg')
    assert len(stocks) == 3  # one small chart per munition type
    assert _console_errors(browser) == []
    _screenshot(browser, tmp_path / "campaign.png")


def test_example_view_and_hostile_names_in_chromium(browser, monkeypatch, tmp_path):
    """The example view of docs/report.md draws every macro's chart and its map overlay; names
    carrying markup (scenario, site, effector type, unit kind) show as text and run nothing."""
    register_example_view(monkeypatch)
    page = write_report([make_hostile_folder(tmp_path / "hostile")], tmp_path / "example.html")
    _open(browser, page)
    assert _console_errors(browser) == []
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements("css selector", "main img, main script") == []
    _assert_charts_drawn(browser)

    # scatter: one point per effector type, each with x and y whiskers (a bar and two caps each)
    scatter = _visible(browser, '[data-name="example-scatter"]')[0]
    points = json.loads(scatter.get_attribute("data-spec"))["series"][0]["points"]
    assert len(scatter.find_elements("css selector", "svg > circle")) == len(points) == 3
    assert len(scatter.find_elements("css selector", "svg > line")) == 6 * len(points)
    assert len(scatter.find_elements("css selector", "svg > path")) == 1  # the joining line

    replay_card, card = _visible(browser, ".map-card")
    assert f"fire unit: {EVIL_KIND}" in replay_card.find_element("css selector", ".legend").text
    assert f"coverage {EVIL}" in card.find_element("css selector", ".legend").text

    # the overlay layer draws on the map, and its switch takes it off again
    canvas = card.find_element("css selector", "canvas.map")
    switch = card.find_element("css selector", '[data-layer="overlay:example"]')
    shown = browser.execute_script(CANVAS_SUM, canvas)
    switch.click()
    hidden = browser.execute_script(CANVAS_SUM, canvas)
    switch.click()
    assert hidden != shown == browser.execute_script(CANVAS_SUM, canvas)
    assert _console_errors(browser) == []
    _screenshot(browser, tmp_path / "example.png")
