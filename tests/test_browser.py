"""The site in real headless Chromium against `coop-library serve` on 127.0.0.1: facets, keyboard, axe-core, 375 px."""

from __future__ import annotations

import re

import pytest

from tests.browser import axe_violations, screenshot

pytestmark = pytest.mark.browser

CROYDON = "2016/croydon-housing-commission"
PAGES = {
    "home": "/",
    "search-with-facets": "/search?q=co-operative&theme=community-wealth-building&region=north-west&from=2015",
    "search-missing-word": "/search?q=climate+change",
    "search-question-years-synonyms": "/search?q=has+any+council+helped+people+fleeing+war+since+2015%3F",
    "search-dead-end": "/search?q=pothole+repairs",
    "document": f"/doc/{CROYDON}",
    "council": "/council/plymouth",
    "council-contacts": "/council/croydon",
    "principle": "/principle/innovation",
    "principles": "/principles",
    "network": "/network",
    "document-led-by-the-network": "/doc/2014/ccin-annual-report-to-the-lga-leadership-board-2014",
    "search-members-only-funded": "/search?member=1&status=funded&evidence=not-reported",
    "theme": "/theme/food",
    "help": "/help",
    "councils": "/councils",
    "themes": "/themes",
    "not-found": "/doc/2016/no-such-document",
}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda m: m.type == "error" and tab.console_errors.append(m.text))
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    yield tab
    context.close()


def answer(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#answer").inner_text()


def count_of(text: str) -> int:
    match = re.match(r"(\d+) document", text)
    return int(match.group(1)) if match else 0


def test_search_tick_and_untick_facets_then_follow_a_result(page, site):
    page.goto(f"{site}/")
    page.fill("#q", "co-operative")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q=co-operative$"))
    before = count_of(answer(page))
    assert before > 10

    box = first_visible_box(page, "theme")
    label = page.locator(f"label[for={box}]").inner_text().split(" (")[0]
    page.check(f"#{box}")
    page.wait_for_url(re.compile(r"theme="))
    page.wait_for_function("() => document.getElementById('result-status').textContent.length > 0")
    after = count_of(answer(page))
    assert 0 < after < before
    assert page.locator("#result-status").text_content().split() == answer(page).split()
    assert page.is_checked(f"#{box}")
    assert page.locator(".chips a", has_text=label).count() == 1

    page.uncheck(f"#{box}")
    page.wait_for_url(re.compile(r"/search\?q=co-operative$"))
    page.wait_for_function(f"() => document.getElementById('answer').textContent.startsWith('{before} ')")

    title = page.locator(".result-title a").first
    expected = title.inner_text()
    title.click()
    page.wait_for_url(re.compile(r"/doc/"))
    assert page.locator("h1").inner_text() == expected
    assert page.console_errors == []


def first_visible_box(page, facet: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"#facet-{facet} > ul input[type=checkbox]:not(:checked)").first.get_attribute("id")


def test_more_values_open_and_the_back_button_restores_the_previous_state(page, site):
    page.goto(f"{site}/search?q=co-operative")
    page.locator("#facet-theme details summary").click()
    page.check("#f-theme-food")
    page.wait_for_url(re.compile(r"theme=food"))
    assert page.is_checked("#f-theme-food")
    page.go_back()
    page.wait_for_url(re.compile(r"/search\?q=co-operative$"))
    page.wait_for_function("() => !document.getElementById('f-theme-food').checked")


def test_everything_works_with_javascript_off(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/search?q=co-operative")
    box = first_visible_box(page, "theme")
    page.check(f"#{box}")
    page.click("button.apply")
    page.wait_for_url(re.compile(r"theme="))
    assert page.is_checked(f"#{box}")
    page.select_option("#sort", "newest")
    page.locator("button[type=submit][form=search-form]", has_text="Sort").click()
    page.wait_for_url(re.compile(r"sort=newest"))
    assert "theme=" in page.url
    context.close()


def test_keyboard_only_with_a_visible_focus(page, site):
    page.goto(f"{site}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).left") == "0px"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # into main: first focusable is the search box
    for _ in range(5):
        if page.evaluate("document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("food")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=food"))

    reached = None
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.boxShadow, s.backgroundColor]; })()"
        )
        assert style[0] != "none" or style[2] != "none", f"no visible focus on {focused!r}: {style}"
        if focused.startswith("f-theme-"):
            reached = focused
            break
    assert reached, "the theme checkboxes are reachable by Tab"
    before = answer(page)
    page.keyboard.press("Space")
    page.wait_for_function(f"() => document.getElementById('answer').textContent !== {before!r}")
    assert page.evaluate("document.activeElement.id") == reached, "focus stays on the ticked box"
    assert page.is_checked(f"#{reached}")


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violations_and_nothing_scrolls_sideways_at_375px(browser, site, name):
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
        response = page.goto(site + PAGES[name])
        assert response.status == (404 if name == "not-found" else 200)
        screenshot(page, f"{name}-{width}")
        if width == 375:
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{name} scrolls sideways"
        violations = axe_violations(page)
        assert violations == [], f"{name} at {width}px: {violations}"
        assert [e for e in errors if "404" not in e] == []
        context.close()
