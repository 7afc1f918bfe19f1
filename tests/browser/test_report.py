"""The instructor's report opens in Chromium, every figure loads, and nothing is fetched from outside.

The page is built from the small hand-made class of ``tests/test_report.py`` (no grading), opened
as a file; its screenshot goes to ``build/screenshots/report.png``.
"""
from __future__ import annotations

import pytest

from grader.report import write_report
from tests.test_report import sample_results

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

IMAGES_JS = "() => Array.from(document.images).map(img => [img.alt, img.complete, img.naturalWidth])"


def test_report_figures_load(browser, tmp_path):
    page_path = write_report(tmp_path / "report", tmp_path / "nbgrader", sample_results())
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        images = page.evaluate(IMAGES_JS)
        assert len(images) == 3, f"expected two histograms and the scenarios' bars, found {images}"
        broken = [alt for alt, complete, width in images if not (complete and width > 0)]
        assert not broken, f"figures that did not load: {broken}"
        assert page.locator("h2").count() == 5
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
    finally:
        context.close()
    outside = [url for url in requests if not url.startswith(("file:", "data:"))]
    assert not outside, f"the report asked for {outside}"
