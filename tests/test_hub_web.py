"""The Culture Hub's web side through the real Flask app: a real hub store, the real bundled index, CSRF on.

Every form is sent the way a browser sends it: the page is fetched first for its CSRF token and session cookie.
Approval writes into a temporary corpus (the `corpus_dir` fixture), never into the bundled one.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from indexer import run_indexer
from library.hub import accounts
from library.hub.store import HubStore
from library.store import IndexStore
from tests.helpers import pdf_bytes, write_markdown

MODERATOR = "moderator@network.example"
PASSWORD = "correct horse battery staple"
OFFICER = "10.1.1.1"
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"]
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def fields(**changes: object) -> dict[str, object]:
    """A complete, valid submission as the form sends it."""
    values: dict[str, object] = {
        "title": "Oldham's community energy co-operative", "council": "Oldham Council", "type": "case-study",
        "themes": ["energy", "community-wealth-building"], "principles": ["co-production"], "year": "2026",
        "summary": "Residents own the solar panels on their estate.",
        "body": "Oldham Council helped residents set up an energy co-operative.\n\nIt now owns 40 solar roofs.",
        "source_url": "https://www.oldham.gov.uk/news/energy", "submitter_name": "Ada Officer",
        "submitter_email": "ada.officer@oldham.gov.uk",
    }  # fmt: skip
    values.update(changes)
    return values


@pytest.fixture
def hub_app(make_app, bundled_index, corpus_dir, tmp_path):
    return make_app(bundled_index, corpus_dir, DATA=str(tmp_path / "hub"))


@pytest.fixture
def client(hub_app):
    return hub_app.test_client()


@pytest.fixture
def store(hub_app) -> HubStore:
    """The app's hub store, opened separately on the same folder, as another process would."""
    return HubStore(Path(hub_app.config["DATA"]))


@pytest.fixture
def moderator(store):
    return accounts.add_user(store, MODERATOR, PASSWORD)


def soup_of(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    """The form's CSRF token from the page, as a browser would have it (the session cookie stays in the client)."""
    with client.get(path) as response:
        assert response.status_code == 200, (path, response.status_code)
        found = soup_of(response).select_one("input[name=csrf_token]")
    assert found is not None and found["value"], path
    return found["value"]


def submit(client, address: str = OFFICER, **data: object):  # type: ignore[no-untyped-def]
    """Send the form as a browser does, multipart, built in memory (the test client would spool a big one to a file)."""
    form = {"csrf_token": csrf_token(client, "/submit"), **data}
    boundary, body = encode_multipart(form)
    return client.post(
        "/submit",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        environ_base={"REMOTE_ADDR": address},
    )


def sign_in(client, email: str = MODERATOR, password: str = PASSWORD, next_path: str = "", address: str = "10.9.9.9"):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/signin")
    form = {"csrf_token": token, "email": email, "password": password, "next": next_path}
    return client.post("/signin", data=form, environ_base={"REMOTE_ADDR": address})


def post(client, path: str, token_from: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **data})


def reference_of(response) -> str:  # type: ignore[no-untyped-def]
    found = soup_of(response).select_one(".hub-reference")
    assert found is not None, response.get_data(as_text=True)[:2000]
    return found.get_text()


def error_for(soup: BeautifulSoup, field_id: str) -> str:
    """The error shown beside a field, checking the field points at it and the summary links to it."""
    message = soup.select_one(f"#{field_id}-error")
    assert message is not None, field_id
    control = soup.select_one(f"#{field_id}") or soup.select_one(f"#{field_id}-0")
    assert control is not None, field_id
    if control.name != "input" or control.get("type") != "checkbox":
        assert f"{field_id}-error" in control.get("aria-describedby", "").split()
    assert soup.select_one(f'.hub-error-summary a[href="#{control["id"]}"]') is not None, field_id
    return " ".join(message.get_text(" ").split()).removeprefix("Error: ")


# ---- submitting


def test_a_submission_is_stored_with_its_fields_and_the_officer_is_told_its_reference(client, store):
    response = submit(client, **fields())
    assert response.status_code == 200
    for header in SECURITY_HEADERS:
        assert header in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    reference = reference_of(response)
    page = " ".join(soup_of(response).get_text(" ").split())
    assert "after the next nightly update" in page and "deleted 90 days after" in page and "never published" in page

    item = store.by_reference(reference)
    assert item is not None and item.status == "pending" and item.origin == "submission"
    expected = fields()
    assert (item.title, item.council, item.lead, item.councils) == (expected["title"], "oldham", "oldham", ["oldham"])
    assert (item.doc_type, item.themes, item.principles, item.year) == (
        "case-study",
        expected["themes"],
        ["co-production"],
        2026,
    )
    assert (item.summary, item.body, item.source_url) == (expected["summary"], expected["body"], expected["source_url"])
    assert (item.submitter_name, item.submitter_email) == ("Ada Officer", "ada.officer@oldham.gov.uk")
    assert item.pdf_name == ""


def test_the_council_can_be_given_by_its_register_id_and_the_form_offers_names_as_you_type(client, store):
    with client.get("/submit") as response:
        soup = soup_of(response)
    council = soup.select_one("input#council")
    assert council["list"] == "council-names"
    assert "Oldham Council" in [o["value"] for o in soup.select("datalist#council-names option")]
    assert "deleted 90 days after your submission is reviewed" in " ".join(soup.get_text(" ").split())
    assert soup.select_one('a[href="/submit"]').get_text() == "Submit your practice"  # the footer link
    reference = reference_of(submit(client, **fields(council="oldham")))
    assert store.by_reference(reference).council == "oldham"


def test_errors_are_shown_beside_their_fields_and_in_a_summary_with_everything_typed_kept(client, store):
    typed = fields(
        title="",
        council="Nowhere Borough",
        year="twenty",
        submitter_email="not an email",
        body="Kept text.",
        source_url="ftp://files.example/x",
        summary="Kept summary.",
        themes=["energy"],
    )
    response = submit(client, **typed)
    assert response.status_code == 400
    soup = soup_of(response)
    assert soup.title.get_text().startswith("Error: ")
    assert error_for(soup, "title") == "Enter a title for your practice"
    assert "could not find a council called “Nowhere Borough”" in error_for(soup, "council")
    assert error_for(soup, "year") == "Enter the year as four digits, such as 2024"
    assert "right format" in error_for(soup, "submitter_email")
    assert "https://" in error_for(soup, "source_url")
    assert soup.select_one("#council")["value"] == "Nowhere Borough"
    assert soup.select_one("#year")["value"] == "twenty"
    assert soup.select_one("#submitter_name")["value"] == "Ada Officer"
    assert soup.select_one("#body").get_text().removeprefix("\r\n") == "Kept text."  # a browser drops the first newline
    assert soup.select_one("#summary").get_text().removeprefix("\r\n") == "Kept summary."
    assert [box["value"] for box in soup.select("input[name=themes][checked]")] == ["energy"]
    assert soup.select_one("#type option[selected]")["value"] == "case-study"
    assert store.counts() == {}


def test_a_submission_needs_some_text_typed_or_in_a_pdf(client, store):
    soup = soup_of(submit(client, **fields(body="  ")))
    assert error_for(soup, "body") == "Paste the text of your practice, or attach it as a PDF"
    assert store.counts() == {}


def test_a_filled_honeypot_gets_the_same_thanks_and_nothing_is_stored(client, store):
    with client.get("/submit") as response:
        trap = soup_of(response).select_one("input[name=website]")
    assert trap["tabindex"] == "-1" and trap.find_parent(attrs={"aria-hidden": "true"}) is not None
    response = submit(client, **fields(website="https://spam.example"))
    assert response.status_code == 200 and re.fullmatch(r"CP-[A-Z2-9]{8}", reference_of(response))
    assert store.counts() == {} and store.by_reference(reference_of(response)) is None


def test_an_address_sending_too_many_submissions_is_told_when_to_try_again(client, store):
    for number in range(5):
        assert submit(client, address="10.2.2.2", **fields(title=f"Practice {number}")).status_code == 200
    response = submit(client, address="10.2.2.2", **fields(title="One too many"))
    assert response.status_code == 429
    assert 3000 < int(response.headers["Retry-After"]) <= 3600
    assert "try again after" in soup_of(response).select_one(".lead").get_text()
    assert store.counts() == {"pending": 5}
    assert submit(client, address="10.3.3.3", **fields(title="Another office")).status_code == 200


def test_a_pdf_is_checked_and_its_text_fills_an_empty_body(client, store):
    document = pdf_bytes(["Oldham energy co-operative report", "Forty solar roofs"])
    response = submit(client, **fields(body="", pdf=pdf_file(document, "report.pdf")))
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    item = store.by_reference(reference_of(response))
    assert "Oldham energy co-operative report" in item.body and "Forty solar roofs" in item.body
    assert (store.uploads / item.pdf_name).read_bytes() == document


def test_a_file_that_is_not_a_pdf_is_refused_with_a_message_and_nothing_is_stored(client, store):
    response = submit(client, **fields(pdf=pdf_file(b"MZ\x90\x00 not a pdf at all", "report.pdf")))
    assert response.status_code == 400
    assert error_for(soup_of(response), "pdf").startswith("The file is not a PDF.")
    damaged = submit(client, **fields(pdf=pdf_file(b"%PDF-1.4\n garbage with no pages", "report.pdf")))
    assert error_for(soup_of(damaged), "pdf").startswith("The PDF could not be opened")
    assert store.counts() == {} and list(store.uploads.iterdir()) == []


def test_an_upload_over_the_limit_gets_a_413_page_and_other_pages_keep_the_small_limit(client, store):
    huge = b"%PDF-1.4\n" + b"0" * (12 * 1024 * 1024)
    response = submit(client, **fields(pdf=pdf_file(huge, "report.pdf")))
    assert response.status_code == 413
    assert soup_of(response).h1.get_text() == "That file is too large" and "10 MB" in soup_of(response).get_text()
    over_ten = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10)
    assert "larger than 10 MB" in error_for(soup_of(submit(client, **fields(pdf=pdf_file(over_ten, "r.pdf")))), "pdf")
    token = csrf_token(client, "/signin")
    response = client.post("/signin", data={"csrf_token": token, "email": "a@b.example", "password": "x" * 70_000})
    assert response.status_code == 413
    assert store.counts() == {}


def test_a_form_without_its_csrf_token_gets_a_400_that_says_to_reload(client, store):
    csrf_token(client, "/submit")  # a session, but no token sent
    for token in (None, "forged"):
        data = fields() if token is None else {**fields(), "csrf_token": token}
        response = client.post("/submit", data=data, environ_base={"REMOTE_ADDR": OFFICER})
        assert response.status_code == 400
        soup = soup_of(response)
        assert (
            soup.h1.get_text() == "This form has expired" and "reload the page" in soup.select_one(".lead").get_text()
        )
        assert "Content-Security-Policy" in response.headers
    assert client.post("/signout").status_code == 400
    assert store.counts() == {}


def test_public_pages_set_no_cookie(client):
    for path in ("/", "/search?q=housing", "/doc/2016/croydon-housing-commission"):
        with client.get(path) as response:
            assert response.status_code == 200 and "Set-Cookie" not in response.headers


# ---- signing in


def test_moderation_pages_send_visitors_to_sign_in_and_back(client, moderator):
    for path in ("/moderate", "/moderate/1"):
        response = client.get(path)
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/signin" and parse_qs(location.query) == {"next": [path]}
        assert response.headers["Cache-Control"] == "no-store"
    token = csrf_token(client, "/signin")
    assert client.post("/moderate/publish", data={"csrf_token": token}).headers["Location"].startswith("/signin")
    response = sign_in(client, next_path="/moderate")
    assert response.status_code == 302 and response.headers["Location"] == "/moderate"
    assert client.get("/moderate").status_code == 200


def test_the_sign_in_form_helps_password_managers_and_phone_keyboards(client):
    """The email field is the account's user name for password managers and brings up a phone's email keyboard;
    `autocomplete="username"` is allowed only on a text field (the HTML standard, as the Nu validator reads it)."""
    page = BeautifulSoup(client.get("/signin").data, "html.parser")
    email, password = page.find("input", id="email"), page.find("input", id="password")
    assert (email["type"], email["inputmode"], email["autocomplete"]) == ("text", "email", "username")
    assert (password["type"], password["autocomplete"]) == ("password", "current-password")


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)"]
)
def test_signing_in_never_redirects_to_another_site(client, moderator, target):
    response = sign_in(client, next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/moderate"


def test_repeated_wrong_passwords_are_slowed(client, moderator):
    for _ in range(5):
        response = sign_in(client, password="wrong password!", address="10.4.4.4")
        assert response.status_code == 400
        assert error_for(soup_of(response), "email") == "The email address or password is not right"
    response = sign_in(client, address="10.4.4.4")  # even the right password waits now
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 30
    assert "too many attempts" in soup_of(response).select_one(".lead").get_text()
    assert client.get("/moderate").status_code == 302


def test_a_disabled_account_is_signed_out_and_signing_out_needs_the_form(client, store, moderator):
    assert sign_in(client).status_code == 302
    assert client.get("/moderate").status_code == 200
    assert client.get("/signout").status_code == 405
    response = post(client, "/signout", "/moderate")
    assert response.status_code == 302 and client.get("/moderate").status_code == 302
    assert sign_in(client).status_code == 302
    accounts.set_disabled(store, MODERATOR)
    assert client.get("/moderate").status_code == 302


# ---- moderating


def test_a_moderator_edits_and_approves_and_the_document_has_provenance_but_no_personal_data(
    client, store, moderator, corpus_dir
):
    reference = reference_of(submit(client, **fields()))
    item = store.by_reference(reference)
    sign_in(client)
    with client.get("/moderate") as response:
        soup = soup_of(response)
    assert response.headers["Cache-Control"] == "no-store"
    row = soup.select_one(".hub-queue tbody tr")
    assert row.select_one("a")["href"] == f"/moderate/{item.id}"
    assert [" ".join(td.get_text(" ").split()) for td in row.select("td")][:3] == [
        fields()["title"], "Submitted", "Oldham Council"
    ]  # fmt: skip

    with client.get(f"/moderate/{item.id}") as response:
        soup = soup_of(response)
    assert "Ada Officer" in soup.get_text() and "ada.officer@oldham.gov.uk" in soup.get_text()
    assert (
        soup.select_one("#title")["value"] == fields()["title"]
        and soup.select_one("#lead")["value"] == "Oldham Council"
    )
    assert soup.select("#look-alikes-heading + p + ul li a")  # documents that may be the same practice

    record = {
        "title": "Oldham's energy co-operative", "type": "case-study", "lead": "Oldham Council",
        "councils": "Oldham Council, Rochdale", "themes": ["energy", "housing"], "principles": ["co-production"],
        "year": "2026", "date": "", "summary": "Residents own the panels.",
    }  # fmt: skip
    response = post(client, f"/moderate/{item.id}/save", f"/moderate/{item.id}", **record)
    assert response.status_code == 302
    edited = store.get(item.id)
    assert (edited.title, edited.themes, edited.councils) == (
        record["title"],
        ["energy", "housing"],
        ["oldham", "rochdale"],
    )

    response = post(client, f"/moderate/{item.id}/approve", f"/moderate/{item.id}", **record)
    assert response.status_code == 302 and response.headers["Location"] == "/moderate"
    approved = store.get(item.id)
    assert approved.status == "approved" and approved.reviewed_by == MODERATOR
    written = corpus_dir / approved.published_path
    assert written.parent == corpus_dir / "hub" / "2026" and written.exists()
    text = written.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["origin"] == "submission" and front["submitted_by"] == "Oldham Council"
    assert front["themes"] == ["energy", "housing"] and front["title"] == record["title"]
    assert {"received", "reviewed_at"} <= set(front)
    assert "Ada" not in text and "ada.officer" not in text and "oldham.gov.uk/news" in text
    with client.get("/moderate") as response:
        soup = soup_of(response)
    assert "0 waiting for review · 1 approved · 0 rejected" in soup.select_one(".hub-counts").get_text()
    assert approved.published_path in soup.select_one(".hub-notice").get_text()


def test_rejecting_needs_a_reason(client, store, moderator):
    item = store.by_reference(reference_of(submit(client, **fields())))
    sign_in(client)
    response = post(client, f"/moderate/{item.id}/reject", f"/moderate/{item.id}", reason="   ")
    assert response.status_code == 400
    assert "Say why you are rejecting it" in error_for(soup_of(response), "reason")
    assert store.get(item.id).status == "pending"
    response = post(client, f"/moderate/{item.id}/reject", f"/moderate/{item.id}", reason="Not co-operative practice.")
    assert response.status_code == 302
    rejected = store.get(item.id)
    assert (rejected.status, rejected.reason, rejected.reviewed_by) == (
        "rejected",
        "Not co-operative practice.",
        MODERATOR,
    )
    with client.get(f"/moderate/{item.id}") as response:
        soup = soup_of(response)
    assert "Not co-operative practice." in soup.select_one("p.hub-notice-done:not([role])").get_text()
    assert not soup.select("form.hub-form")


def test_a_moderator_downloads_the_attached_pdf_and_never_sees_it_inline(client, store, moderator):
    document = pdf_bytes(["A report"])
    item = store.by_reference(reference_of(submit(client, **fields(pdf=pdf_file(document, "r.pdf")))))
    sign_in(client)
    with client.get(f"/moderate/{item.id}/pdf") as response:
        assert response.status_code == 200 and response.get_data() == document
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_hostile_text_in_every_field_is_shown_as_text(client, store, moderator):
    script, image, link = HOSTILE
    refused = submit(client, **fields(
        council=image, year=script, source_url=link, type=image, themes=[script], principles=[image],
        submitter_email=f"{image}@x",
    ))  # fmt: skip
    assert refused.status_code == 400
    assert_inert(soup_of(refused))
    assert "https://" in error_for(soup_of(refused), "source_url")
    assert soup_of(refused).select_one("#source_url")["value"] == link

    hostile = fields(
        title=f"{script} {image}", summary=image, body=f"{script}\n\n{image}\n\n{link}", submitter_name=script,
        submitter_email='"><script>alert(1)</script>@evil.example',
    )  # fmt: skip
    item = store.by_reference(reference_of(submit(client, **hostile)))
    assert item.title == hostile["title"] and item.submitter_name == script
    sign_in(client)
    for path in ("/moderate", f"/moderate/{item.id}"):
        with client.get(path) as response:
            soup = soup_of(response)
        assert_inert(soup)
        assert hostile["title"] in soup.get_text()
    assert script in soup.select_one("div.hub-text").get_text() and image in soup.select_one(".hub-summary").get_text()
    assert hostile["submitter_email"] in soup.get_text() and soup.select_one("#title")["value"] == hostile["title"]


def assert_inert(soup: BeautifulSoup) -> None:
    """No element, attribute or link that submitted text could have made."""
    assert [s.get("src") for s in soup.select("script")] == ["/static/enhance.js"]
    assert not soup.select("img") and not soup.select("[onerror]")
    assert not [a for a in soup.select("[href]") if a["href"].lower().startswith("javascript:")]


# ---- publishing now


def test_publish_now_runs_the_indexer_and_the_document_shows_where_it_came_from(make_app, corpus_dir, tmp_path):
    index = tmp_path / "index"
    write_markdown(corpus_dir, "2016/housing.md", "Plymouth's housing co-operative.", title="Housing", year=2016)
    run_indexer(corpus_dir, index)
    app = make_app(index, corpus_dir, DATA=str(tmp_path / "hub"))
    client = app.test_client()
    store = HubStore(tmp_path / "hub")
    accounts.add_user(store, MODERATOR, PASSWORD)
    item = store.by_reference(reference_of(submit(client, **fields())))
    sign_in(client)
    record = {"title": item.title, "type": "case-study", "lead": "Oldham Council", "councils": "", "year": "2026"}
    assert post(client, f"/moderate/{item.id}/approve", f"/moderate/{item.id}", **record).status_code == 302

    run = publish(client, store)
    assert run.requested_by == MODERATOR and "published generation" in run.outcome, run.outcome
    with client.get("/moderate") as response:
        assert run.outcome.splitlines()[0] in soup_of(response).select_one(".hub-run-outcome").get_text()

    with client.get("/search?q=energy+co-operative") as response:
        hits = [a["href"] for a in soup_of(response).select(".result-title a")]
    doc_id = store.get(item.id).published_path.removesuffix(".md")
    assert f"/doc/{doc_id}" in hits
    with client.get(f"/doc/{doc_id}") as response:
        line = " ".join(soup_of(response).select_one(".hub-provenance").get_text().split())
    assert re.fullmatch(
        r"Submitted by Oldham Council through the Culture Hub on \d+ \w+ \d{4}, reviewed \d+ \w+ \d{4}\.", line
    ), line

    with IndexStore(index).lock():  # the nightly run is going: publishing waits for it, changing nothing
        run = publish(client, store)
    assert run.outcome.startswith("Not run: another index run was already going"), run.outcome


def publish(client, store: HubStore):  # type: ignore[no-untyped-def]
    """Press "publish now" and wait for the run to finish; return it."""
    before = store.last_run("index")
    response = post(client, "/moderate/publish", "/moderate")
    assert response.status_code == 302 and response.headers["Location"] == "/moderate"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = store.last_run("index")
        if run and run.finished and (before is None or run.id != before.id):
            return run
        time.sleep(0.1)
    pytest.fail("the publish-now run did not finish within a minute")


def pdf_file(data: bytes, name: str = "report.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf")


def test_a_harvested_document_says_whose_news_feed_it_was_found_in(make_app, corpus_dir, tmp_path):
    write_markdown(
        corpus_dir, "hub/2026/oldham-news.md", "Oldham opened a community energy co-operative.",
        title="Oldham energy news", type="press-release", lead="oldham", councils=["oldham"], origin="harvest",
        harvested="https://www.oldham.gov.uk/news.rss", received="2026-03-01T09:00:00+00:00",
        reviewed_by=MODERATOR, reviewed_at="2026-03-03T10:00:00+00:00",
    )  # fmt: skip
    run_indexer(corpus_dir, tmp_path / "index")
    client = make_app(tmp_path / "index", corpus_dir, DATA=str(tmp_path / "hub")).test_client()
    with client.get("/doc/hub/2026/oldham-news") as response:
        soup = soup_of(response)
    line = " ".join(soup.select_one(".provenance-note .hub-provenance").get_text().split())
    assert line == "Found in Oldham Council’s news feed on 1 March 2026, reviewed 3 March 2026."
    assert MODERATOR not in soup.get_text()
