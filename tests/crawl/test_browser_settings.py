"""The browser settings a patrol of a JavaScript site runs with (no browser needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from patrol.crawl.browser import NO_IMAGES_ARG, abort_heavy_resources, playwright_settings


@pytest.mark.parametrize(
    ("kind", "aborted"),
    [("image", True), ("font", True), ("media", True), ("document", False), ("fetch", False)],
)
def test_heavy_resources_are_aborted(kind: str, aborted: bool) -> None:
    assert abort_heavy_resources(SimpleNamespace(resource_type=kind)) is aborted


def test_patrols_run_the_projects_handler_without_images() -> None:
    settings = playwright_settings(max_pages=4, timeout_ms=20_000, scheme="https")
    # one Playwright driver, for the site's scheme; plain http stays Scrapy's
    assert settings["DOWNLOAD_HANDLERS"] == {
        "https": "patrol.crawl.browser_handler.PatrolPlaywrightHandler"
    }
    assert NO_IMAGES_ARG in settings["PLAYWRIGHT_LAUNCH_OPTIONS"]["args"]
    assert settings["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] == 4
    assert settings["PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER"] is True
