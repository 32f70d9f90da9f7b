"""The Culture Hub in real headless Chromium against `coop-library serve` on 127.0.0.1.

An officer submits a case study without an account; a moderator signs in, changes a tag, approves it and presses
"publish now"; the document is then found by a search and its page says where it came from. The server runs over
copies of the corpus and index in a temporary folder, with its hub data there too (COOP_LIBRARY_DATA). axe-core
checks the hub's pages at desktop and phone widths.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer import run_indexer
from library.hub import accounts
from library.hub.store import HubStore
from tests.browser import axe_violations, chromium, running_server, screenshot
from tests.conftest import BUNDLED

pytestmark = pytest.mark.browser

MODERATOR = "moderator@network.example"
PASSWORD = "correct horse battery staple"
TITLE = "Kirklees community orchard co-operative"


@dataclass
class Hub:
    site: str
    corpus: Path
    data: Path


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """`coop-library serve` over a copy of the bundled corpus and its index, with its own hub data folder."""
    work = tmp_path_factory.mktemp("hub-browser")
    corpus = work / "corpus"
    shutil.copytree(BUNDLED, corpus)
    index = work / "index"
    run_indexer(corpus, index)
    data = work / "hub"
    accounts.add_user(HubStore(data), MODERATOR, PASSWORD)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COOP_LIBRARY_DATA", str(data))
        with running_server(index, corpus) as site:
            yield Hub(site, corpus, data)


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def new_page(browser, width: int = 1280):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return context, page


def sign_in(page, site: str, next_path: str = "/moderate") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site}{next_path}")
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.fill("#email", MODERATOR)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{site}{next_path}")


def fill_submission(page, site: str, title: str = TITLE) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site}/")
    page.click("footer a:has-text('Submit your practice')")
    page.wait_for_url(f"{site}/submit")
    page.fill("#title", title)
    page.fill("#council", "Kirklees Council")
    page.select_option("#type", "case-study")
    page.fill("#year", "2026")
    page.fill("#summary", "Residents run an orchard on council land as a co-operative.")
    page.fill("#body", "Kirklees Council leased a field to a residents' co-operative.\n\nThey planted 200 apple trees.")
    page.check("label:has-text('Food and food poverty')")
    page.fill("#submitter_name", "Ada Officer")
    page.fill("#submitter_email", "ada.officer@kirklees.gov.uk")


def test_a_case_study_goes_from_an_officer_through_a_moderator_into_the_library(browser, hub):
    context, page = new_page(browser)
    fill_submission(page, hub.site)
    page.click("button:has-text('Send for review')")
    assert page.locator("h1").inner_text() == "Thank you: your practice has been sent"
    reference = page.locator(".hub-reference").inner_text()
    assert re.fullmatch(r"CP-[A-Z2-9]{8}", reference)
    context.close()

    context, page = new_page(browser)
    sign_in(page, hub.site)
    page.click(f".hub-queue a:has-text('{TITLE}')")
    page.wait_for_url(re.compile(r"/moderate/\d+$"))
    assert "Ada Officer" in page.locator(".doc-meta").inner_text()
    page.check("label:has-text('Community wealth building')")  # the moderator adds a theme
    page.click("button:has-text('Save and approve')")
    page.wait_for_url(f"{hub.site}/moderate")
    assert "Approved" in page.locator(".hub-notice").first.inner_text()
    written = list((hub.corpus / "hub" / "2026").glob("*.md"))
    assert len(written) == 1 and "Ada" not in written[0].read_text(encoding="utf-8")

    page.click("button:has-text('Publish now')")
    page.wait_for_url(f"{hub.site}/moderate")
    deadline = time.monotonic() + 60
    while "published generation" not in (outcome := _outcome(page)):
        assert time.monotonic() < deadline, f"publish now did not finish: {outcome!r}"
        time.sleep(0.5)
        page.reload()
    assert page.problems == []
    context.close()

    context, page = new_page(browser)
    page.goto(f"{hub.site}/")
    page.fill("#q", "orchard co-operative Kirklees")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    page.click(f".result-title a:has-text('{TITLE}')")
    page.wait_for_url(re.compile(r"/doc/hub/2026/"))
    provenance = " ".join(page.locator(".hub-provenance").inner_text().split())
    assert re.fullmatch(
        r"Submitted by Kirklees Council through the Culture Hub on \d+ \w+ \d{4}, reviewed \d+ \w+ \d{4}\.", provenance
    )
    themes = page.locator(".doc-meta").inner_text()
    assert "Community wealth building" in themes and "Food and food poverty" in themes
    assert "Ada" not in page.content()
    screenshot(page, "hub-published-document")
    assert page.problems == []
    context.close()


def _outcome(page) -> str:  # type: ignore[no-untyped-def]
    found = page.locator(".hub-run-outcome")
    return found.inner_text() if found.count() else ""


def test_the_hubs_pages_pass_axe_and_fit_a_phone(browser, hub):
    for width in (1280, 375):
        context, page = new_page(browser, width)
        page.goto(f"{hub.site}/submit")
        check(page, f"hub-submit-{width}", width)
        page.click("button:has-text('Send for review')")  # nothing filled in: every error at once
        assert page.locator(".hub-error-summary").is_visible()
        page.wait_for_function("document.activeElement.className === 'hub-error-summary'")  # autofocus
        check(page, f"hub-submit-errors-{width}", width)
        fill_submission(page, hub.site, title=f"Axe check at {width}px")
        page.click("button:has-text('Send for review')")
        check(page, f"hub-thanks-{width}", width)
        page.goto(f"{hub.site}/signin")
        check(page, f"hub-signin-{width}", width)
        sign_in(page, hub.site)
        check(page, f"hub-queue-{width}", width)
        page.click(f".hub-queue a:has-text('Axe check at {width}px')")
        page.wait_for_url(re.compile(r"/moderate/\d+$"))
        check(page, f"hub-review-{width}", width)
        page.click("button:has-text('Reject')")  # no reason given
        assert page.locator("#reason-error").is_visible()
        check(page, f"hub-review-errors-{width}", width)
        assert [p for p in page.problems if "status of 400" not in p] == []  # a form with errors is a 400
        context.close()


def check(page, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, name)
    if width == 375:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{name} scrolls sideways"
    violations = axe_violations(page)
    assert violations == [], f"{name}: {violations}"
