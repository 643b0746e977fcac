"""The committed leaderboard page in a real browser (headless Chromium, Debian's package, driven by Selenium):
the overview is the first table and holds the committed numbers, a click on a header sorts, and nothing
scrolls sideways at 1,300 px. Skipped, with the reason, where Chromium or Selenium is absent.

The expected numbers are read from the committed CSV files, never written here, so that the test holds
after the leaderboard is regenerated. The page's render time is printed (``pytest -s`` shows it) and a
screenshot is written to the test's temporary folder.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "leaderboards" / "index.html"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WIDTH = 1300

if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}), not installed here",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the test extra)")
from selenium.webdriver.chrome.service import Service  # noqa: E402  (after the skip)
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium at 1,300 × 900 with a fresh profile; it reaches nothing on the network."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={WIDTH},900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    """The committed index page, loaded from its file; prints how long it took to render and saves a
    screenshot."""
    browser.get(PAGE.as_uri())
    timing = browser.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd];")
    print(f"\n{PAGE.name}: DOM ready after {timing[0]:.0f} ms, load event (images included) after {timing[1]:.0f} ms")
    shot = tmp_path_factory.mktemp("screenshot") / "leaderboard.png"
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    return browser


def committed_srcc(suite: str, key: str, statistic: str = "SRCC") -> dict[str, str]:
    """metric -> its committed ``statistic`` cell in ``leaderboards/<suite>/<key>.csv``."""
    with open(REPO / "leaderboards" / suite / f"{key}.csv", newline="") as f:
        return {row["metric"]: row[statistic] for row in csv.DictReader(f)}


def table_rows(table) -> list[list[str]]:
    """The cells' text (``textContent``: what the table prints, whatever the layout) of each body row."""
    return table.parent.execute_script(
        "return Array.from(arguments[0].tBodies[0].rows, r => Array.from(r.cells, c => c.textContent.trim()));", table)


def test_the_overview_is_the_first_table_and_holds_the_committed_numbers(page):
    first = page.find_elements(By.TAG_NAME, "table")[0]
    assert "overview" in first.get_attribute("class").split()
    suite = first.get_attribute("data-suite")
    header = page.execute_script("return Array.from(arguments[0].tHead.rows[0].cells, c => c.firstChild.textContent);",
                                 first)
    assert header[0] == "metric"
    statistics = page.execute_script(
        "return Array.from(arguments[0].tHead.rows[0].cells, c => c.dataset.statistic);", first)[1:]
    assert set(statistics) <= {"SRCC", "SRCC/person"} and "SRCC" in statistics
    rows = {row[0]: row[1:] for row in table_rows(first)}
    assert len(rows) >= 2
    for column, (key, statistic) in enumerate(zip(header[1:], statistics)):
        expected = committed_srcc(suite, key, statistic)
        shown = {metric: cells[column].lstrip("★").strip() for metric, cells in rows.items()}
        for metric, cell in shown.items():
            want = expected.get(metric, "n/a")
            assert cell == ("—" if want == "n/a" else want), (key, metric)
        best = [m for m, cells in rows.items() if cells[column].startswith("★")]
        numbers = [float(v.split()[0]) for v in expected.values() if v != "n/a"]
        assert bool(best) == bool(numbers), key
        assert all(float(shown[m].split()[0]) == max(numbers) for m in best), (key, best)


def test_an_empty_overview_cell_says_why(page):
    overview = page.find_element(By.CSS_SELECTOR, "table.overview")
    for cell in overview.find_elements(By.CSS_SELECTOR, "td.empty"):
        assert cell.text == "—" and re.search(r": (full-reference|not scored|dataset skipped|no )", cell.get_attribute("title"))


def test_a_click_on_the_srcc_header_reorders_the_rows(page):
    def distinct_srcc(table) -> bool:
        labels = [h.text for h in table.find_elements(By.TAG_NAME, "th")]
        return "SRCC" in labels and len({r[labels.index("SRCC")] for r in table_rows(table)}) >= 2

    table = next(t for t in page.find_elements(By.CSS_SELECTOR, "table.statistics") if distinct_srcc(t))
    headers = table.find_elements(By.TAG_NAME, "th")
    column = [h.text for h in headers].index("SRCC")
    before = [row[0] for row in table_rows(table)]
    headers[column].click()
    after_rows = table_rows(table)
    after = [row[0] for row in after_rows]
    assert sorted(after) == sorted(before) and after != before
    estimates = [float(row[column].split()[0]) for row in after_rows]
    assert estimates == sorted(estimates) or estimates == sorted(estimates, reverse=True)
    assert headers[column].get_attribute("aria-sort") in ("ascending", "descending")
    headers[column].click()
    assert [row[0] for row in table_rows(table)] == before  # back to the ranked order: highest SRCC first


def test_a_click_on_a_dataset_of_the_overview_ranks_the_metrics_there(page):
    overview = page.find_element(By.CSS_SELECTOR, "table.overview")
    headers = overview.find_elements(By.TAG_NAME, "th")
    for column in range(1, len(headers)):
        headers[column].click()
        cells = [row[column].lstrip("★").strip() for row in table_rows(overview)]
        numbers = [float(c.split()[0]) for c in cells if c != "—"]
        assert numbers == sorted(numbers, reverse=True) or numbers == sorted(numbers)
        assert all(c == "—" for c in cells[len(numbers):])  # empty cells last


def test_nothing_scrolls_sideways_at_1300_px(page):
    assert page.execute_script("return window.innerWidth;") <= WIDTH
    assert page.execute_script("return document.documentElement.scrollWidth;") <= WIDTH
    too_wide = page.execute_script(
        "return Array.from(document.querySelectorAll('div.wide'), d => [d.scrollWidth, d.clientWidth])"
        ".filter(([s, c]) => s > c).length;")
    assert too_wide == 0, "a table is wider than the page and scrolls inside its box"


def test_intervals_stay_on_one_line(page):
    """Each interval is one line high: none wraps inside its cell."""
    heights = page.execute_script(
        "return Array.from(document.querySelectorAll('span.ci'), s => s.getClientRects().length);")
    assert heights and set(heights) == {1}
