"""The search page's in-place updates when responses come late, out of order or as errors, in real Chromium.

Playwright's page.route holds back, lets through or answers each request the page makes; the server is
`coop-library serve` on 127.0.0.1, and nothing else is reached.
"""

from __future__ import annotations

import re
import urllib.request
from contextlib import suppress
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser

START = "/search?q=co-operative"
FAKE_RESULTS = '<div id="results-area"><h1 id="answer">FAKE</h1></div><aside id="facet-panel">FAKE</aside>'
SETTLE_MS = 500  # time for a released response to reach the page, had the page kept waiting for it


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.documents = []  # every whole-page load: the addresses the browser navigated to
    tab.on("request", lambda r: r.resource_type == "document" and tab.documents.append(r.url))
    yield tab
    context.close()


def served(site: str, address: str) -> tuple[str, list[str]]:
    """The answer line and result titles the server itself renders for an address: the oracle."""
    with urllib.request.urlopen(site + address, timeout=10) as response:
        soup = BeautifulSoup(response.read(), "html.parser")
    return soup.select_one("#answer").get_text(" ", strip=True), [a.get_text() for a in soup.select(".result-title a")]


def shown(page) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """The answer line and result titles the page shows now."""
    answer = " ".join(page.locator("#answer").inner_text().split())
    return answer, page.locator(".result-title a").all_inner_texts()


def address(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("location.pathname + location.search")


def first_theme_box(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#facet-theme > ul input[type=checkbox]:not(:checked)").first.get_attribute("id")


def wait_for_announcement(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => document.getElementById('result-status').textContent.length > 0")


def test_a_slow_earlier_response_never_overwrites_a_newer_one(page, site):
    page.goto(site + START)
    held = []  # requests for results kept waiting, to answer after the next one

    def hold_the_first(route):  # type: ignore[no-untyped-def]
        if route.request.resource_type == "fetch" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/search\?"), hold_the_first)
    box = first_theme_box(page)
    theme = page.locator(f"#{box}").get_attribute("value")
    with page.expect_request(lambda r: r.resource_type == "fetch"):
        page.check(f"#{box}")  # the first action: its response is held back
    page.focus("#sort")  # as a person moves to the menu before choosing
    page.select_option("#sort", "oldest")  # the last action: its response comes at once
    page.wait_for_url(re.compile(r"sort=oldest"))
    wait_for_announcement(page)
    first, last = f"{START}&theme={theme}", address(page)
    assert parse_qs(urlsplit(last).query) == {"q": ["co-operative"], "theme": [theme], "sort": ["oldest"]}
    assert served(site, first) != served(site, last), "the two actions must show different results"
    assert held, "the first action's request was held back"
    with suppress(PlaywrightError):  # now the first action's response arrives, late; the page may have given up on it
        held[0].fulfill(response=held[0].fetch())
    page.wait_for_timeout(SETTLE_MS)

    assert address(page) == last
    assert shown(page) == served(site, last)
    assert page.is_checked(f"#{box}") and page.input_value("#sort") == "oldest"
    assert page.evaluate("document.activeElement.id") == "sort", "focus stays on the sort menu"
    assert page.locator("#result-status").text_content().split() == shown(page)[0].split()
    assert page.get_attribute("#results-area", "aria-busy") is None
    assert page.documents == [site + START], "no whole-page load"

    page.go_back()  # the superseded action never became a history entry
    page.wait_for_function(f"() => location.pathname + location.search === {START!r}")
    page.wait_for_function(
        "titles => [...document.querySelectorAll('.result-title a')].map(a => a.innerText).join('\\n') === titles",
        arg="\n".join(served(site, START)[1]),
    )
    assert shown(page) == served(site, START)


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(500, "text/html; charset=utf-8"), (503, "text/html; charset=utf-8"), (200, "application/json")],
)
def test_a_response_that_is_not_a_results_page_loads_the_address_as_a_whole_page(page, site, status, content_type):
    page.goto(site + START)
    failed = []

    def fail_the_fetch(route):  # type: ignore[no-untyped-def]
        if route.request.resource_type == "fetch":
            failed.append(route.request.url)
            route.fulfill(status=status, content_type=content_type, body=FAKE_RESULTS)
        else:
            route.continue_()  # the whole-page load reaches the server

    page.route(re.compile(r"/search\?"), fail_the_fetch)
    box = first_theme_box(page)
    wanted = f"{START}&theme={page.locator(f'#{box}').get_attribute('value')}"
    with page.expect_navigation(url=site + wanted):
        page.click(f"#{box}")  # not check(): it looks for the ticked box, and the page it was on is gone

    assert failed == [site + wanted]
    assert page.documents == [site + START, site + wanted], "the same address was loaded as a page"
    assert "FAKE" not in page.content()
    assert shown(page) == served(site, wanted)
    assert page.is_checked(f"#{box}")
    page.go_back()
    page.wait_for_url(site + START)
    assert shown(page) == served(site, START)


def test_the_servers_error_page_is_shown_whole_not_swapped_into_the_results(page, site):
    page.goto(site + START)

    def unavailable(route):  # type: ignore[no-untyped-def]
        route.fulfill(status=503, content_type="text/html; charset=utf-8", body=f"<title>Busy</title>{FAKE_RESULTS}")

    box = first_theme_box(page)
    wanted = f"{START}&theme={page.locator(f'#{box}').get_attribute('value')}"
    page.route(re.compile(re.escape(site + wanted) + "$"), unavailable)
    with page.expect_navigation(url=site + wanted) as navigation:
        page.click(f"#{box}")

    assert page.documents == [site + START, site + wanted], "the same address was loaded as a page"
    assert navigation.value.status == 503
    assert page.title() == "Busy", "the browser shows the error page itself"
    assert page.locator("#search-form").count() == 0, "nothing of the old page is left"


def test_a_real_bad_request_shows_the_400_page(page, site):
    page.goto(site + START)
    box = first_theme_box(page)
    page.eval_on_selector(f"#{box}", "box => { box.value = 'x'.repeat(300); }")  # too long to be a theme id
    with page.expect_navigation(url=re.compile(r"theme=x{300}")) as navigation:
        page.click(f"#{box}")

    assert len(page.documents) == 2 and "theme=xxx" in page.documents[-1], "the same address was loaded as a page"
    assert navigation.value.status == 400
    assert page.locator("#results-area").count() == 0
    assert "too long" in page.locator(".lead").inner_text()


def test_going_back_over_a_link_within_the_page_fetches_nothing(page, site):
    page.goto(site + START)
    fetches = []
    page.on("request", lambda r: r.resource_type == "fetch" and fetches.append(r.url))
    page.evaluate("location.hash = 'facet-panel'")  # as the "Filter these results" link does on a phone
    page.go_back()
    page.wait_for_function("() => location.hash === ''")
    page.wait_for_timeout(SETTLE_MS)
    assert fetches == []
    assert page.documents == [site + START]
