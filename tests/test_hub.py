"""The Culture Hub's store, accounts and publishing, and the operators' commands: a real SQLite database, real files."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
import yaml

from indexer import run_indexer
from library.hub import accounts, publish
from library.hub.store import MIGRATIONS, HubError, HubStore, QueueItem
from library.search import Library, SearchRequest
from library.store import IndexStore
from tests.helpers import write_markdown

PASSWORD = "correct horse battery staple"


def submission(**changes: object) -> QueueItem:
    values: dict[str, object] = {
        "title": "Oldham's community energy co-operative", "body": "Oldham helped residents set up an energy co-operative.",
        "council": "oldham", "doc_type": "case-study", "themes": ["energy"], "principles": ["co-production"],
        "year": 2027, "summary": "Residents own the solar panels.", "source_url": "https://www.oldham.gov.uk/news/1",
        "submitter_name": "Ada Officer", "submitter_email": "ada@oldham.gov.uk",
    }  # fmt: skip
    values.update(changes)
    return QueueItem(**values)  # type: ignore[arg-type]


def test_a_new_store_is_migrated_once_and_refuses_a_newer_schema(tmp_path):
    store = HubStore(tmp_path / "hub")
    assert store.schema_version == len(MIGRATIONS)
    assert HubStore(tmp_path / "hub").schema_version == len(MIGRATIONS)  # opening again changes nothing
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(HubError, match="newer version"):
        HubStore(tmp_path / "hub")


def test_an_item_is_stored_whole_with_its_pdf_and_read_back(tmp_path):
    store = HubStore(tmp_path / "hub")
    item = store.add(submission(), pdf=b"%PDF-1.4 test")
    assert item.id and item.reference.startswith("CP-") and len(item.reference) == 11
    again = store.get(item.id)
    assert again == item and again.themes == ["energy"] and again.status == "pending"
    assert (store.uploads / item.pdf_name).read_bytes() == b"%PDF-1.4 test"
    assert not [p for p in store.uploads.iterdir() if p.name.startswith(".")]  # no temporary file left
    assert store.by_reference(item.reference).id == item.id
    assert [i.id for i in store.items()] == [item.id] and store.counts() == {"pending": 1}


def test_the_same_address_or_text_is_known_and_a_canonical_address_is_stored_once(tmp_path):
    store = HubStore(tmp_path / "hub")
    store.add(submission(canonical_url="https://a.example/x", text_hash="abc", origin="harvest"))
    assert store.known("https://a.example/x", "") and store.known(None, "abc") and not store.known("https://b", "zzz")
    with pytest.raises(sqlite3.IntegrityError):
        store.add(submission(canonical_url="https://a.example/x"))
    assert len(store.items()) == 1


def test_edits_apply_only_to_pending_items_and_only_to_the_record(tmp_path):
    store = HubStore(tmp_path / "hub")
    item = store.add(submission())
    store.edit(item.id, title="Better title", themes=["energy", "climate-and-environment"])
    assert store.get(item.id).title == "Better title" and store.get(item.id).themes[1] == "climate-and-environment"
    with pytest.raises(HubError, match="cannot edit submitter_email"):
        store.edit(item.id, submitter_email="x@y.z")
    publish.reject(store, item.id, "mod@example.org", "Not co-operative practice")
    with pytest.raises(HubError, match="already rejected"):
        store.edit(item.id, title="Too late")


def test_approval_writes_the_document_with_provenance_and_no_personal_data(tmp_path, corpus_dir, vocab):
    store = HubStore(tmp_path / "hub")
    item = store.add(submission())
    done = publish.approve(store, item.id, "mod@example.org", corpus_dir, vocab)
    assert done.status == "approved" and done.published_path == "hub/2027/oldhams-community-energy-co-operative.md"
    text = (corpus_dir / done.published_path).read_text(encoding="utf-8")
    assert "Ada" not in text and "ada@oldham.gov.uk" not in text
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["origin"] == "submission" and front["submitted_by"] == "Oldham Council"
    assert front["lead"] == "oldham" and front["councils"] == ["oldham"] and front["reviewed_by"] == "mod@example.org"
    assert {"received", "reviewed_at", "sources"} <= set(front)
    with pytest.raises(HubError, match="already approved"):
        publish.approve(store, item.id, "mod@example.org", corpus_dir, vocab)
    second = store.add(submission(body="Another text", source_url=""))
    assert publish.approve(store, second.id, "m@x.org", corpus_dir, vocab).published_path.endswith("-2.md")


def test_an_approval_interrupted_after_the_file_was_written_is_finished_without_a_second_copy(
    tmp_path, corpus_dir, vocab
):
    store = HubStore(tmp_path / "hub")
    item = store.add(submission())
    with store.connect() as db:  # as a crash leaves it: the path recorded and the file written, the item pending
        db.execute("UPDATE items SET published_path = 'hub/2027/interrupted.md' WHERE id = ?", (item.id,))
    (corpus_dir / "hub/2027").mkdir(parents=True)
    (corpus_dir / "hub/2027/interrupted.md").write_text("half", encoding="utf-8")
    done = publish.approve(store, item.id, "m@x.org", corpus_dir, vocab)
    assert done.published_path == "hub/2027/interrupted.md"
    assert sorted(p.name for p in (corpus_dir / "hub/2027").iterdir()) == ["interrupted.md"]
    assert (corpus_dir / "hub/2027/interrupted.md").read_text(encoding="utf-8").startswith("---\ntitle:")


def test_an_approved_document_is_indexed_found_and_shows_where_it_came_from(tmp_path, corpus_dir, index_dir, vocab):
    write_markdown(corpus_dir, "other.md", "Something else entirely.", title="Other", year=2020)
    store = HubStore(tmp_path / "hub")
    item = store.add(submission())
    publish.approve(store, item.id, "mod@example.org", corpus_dir, vocab)
    report = run_indexer(corpus_dir, index_dir)
    assert not report.failed and not [n for n in report.warnings if n.path.startswith("hub/")]
    doc = IndexStore(index_dir).documents()["hub/2027/oldhams-community-energy-co-operative"]
    assert doc.provenance["origin"] == "submission" and doc.provenance["submitted_by"] == "Oldham Council"
    assert "reviewed_by" not in doc.provenance and "mod@example.org" not in json.dumps(doc.to_dict())
    library = Library(index_dir, vocab)
    try:
        assert library.search(SearchRequest(query="energy co-operative")).results[0].id == doc.id
    finally:
        library.close()


def test_personal_data_is_deleted_a_set_time_after_review(tmp_path, corpus_dir, vocab):
    store = HubStore(tmp_path / "hub")
    old, new, waiting = store.add(submission()), store.add(submission(body="b2")), store.add(submission(body="b3"))
    publish.reject(store, old.id, "m@x.org", "duplicate")
    publish.reject(store, new.id, "m@x.org", "duplicate")
    with store.connect() as db:
        db.execute("UPDATE items SET reviewed_at = ? WHERE id = ?", (time.time() - 91 * 86400, old.id))
    assert store.forget_personal_data(90) == 1
    assert (store.get(old.id).submitter_email, store.get(old.id).forgotten) == ("", True)
    assert store.get(new.id).submitter_email and store.get(waiting.id).submitter_email


def test_passwords_are_argon2_hashes_and_wrong_ones_are_slowed(tmp_path):
    store = HubStore(tmp_path / "hub")
    user = accounts.add_user(store, "mod@example.org", PASSWORD)
    with store.connect() as db:
        stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.sign_in(store, "MOD@example.org", PASSWORD, "10.0.0.1") == user
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.sign_in(store, "mod@example.org", "wrong password!!", "10.0.0.2") is None
    assert accounts.wait_seconds(store, "mod@example.org", "10.0.0.9") > 0  # the account waits, from any address
    assert accounts.wait_seconds(store, "other@example.org", "10.0.0.2") > 0  # and the address, for any account
    assert accounts.wait_seconds(store, "other@example.org", "10.0.0.3") == 0
    accounts.set_disabled(store, "mod@example.org")
    assert accounts.sign_in(store, "mod@example.org", PASSWORD, "10.0.0.4") is None


@pytest.mark.parametrize(
    ("email", "password", "problem"),
    [("not-an-email", PASSWORD, "not an email address"), ("a@b.org", "short", "at least 12 characters")],
)
def test_an_account_that_cannot_be_made_says_why(tmp_path, email, password, problem):
    with pytest.raises(HubError, match=problem):
        accounts.add_user(HubStore(tmp_path / "hub"), email, password)


def test_the_operators_commands_add_users_and_run_the_queue(run_cli, runner, tmp_path, corpus_dir, vocab):
    from coop_library.cli import cli

    data = str(tmp_path / "hub")
    added = runner.invoke(cli, ["users", "add", "mod@example.org", "--data", data], input=PASSWORD + "\n")
    assert added.exit_code == 0 and "added mod@example.org" in added.output
    again = runner.invoke(cli, ["users", "add", "mod@example.org", "--data", data], input=PASSWORD + "\n")
    assert again.exit_code == 2 and "already an account" in again.stderr
    assert "mod@example.org\tmoderator\tactive" in run_cli("users", "list", "--data", data).output
    store = HubStore(Path(data))
    first, second = store.add(submission()), store.add(submission(body="Second", origin="harvest"))
    listed = json.loads(run_cli("queue", "list", "--json", "--data", data).output)
    assert [set(i) for i in listed] == [{"id", "status", "origin", "title", "council", "source_url", "received"}] * 2
    assert [i["origin"] for i in listed] == ["submission", "harvest"] and "ada@" not in json.dumps(listed)
    shown = run_cli("queue", "show", str(first.id), "--data", data).output
    assert "Ada Officer <ada@oldham.gov.uk>" in shown and first.reference in shown
    approved = run_cli("queue", "approve", str(first.id), "--by", "mod@example.org", "--data", data,
                       "--corpus", str(corpus_dir))  # fmt: skip
    assert approved.exit_code == 0 and (corpus_dir / "hub/2027/oldhams-community-energy-co-operative.md").exists()
    rejected = run_cli("queue", "reject", str(second.id), "--reason", "Road closure notice", "--data", data)
    assert rejected.exit_code == 0 and store.get(second.id).reason == "Road closure notice"
    missing = runner.invoke(cli, ["queue", "approve", "99", "--by", "m@x.org", "--data", data])
    assert missing.exit_code == 2 and "there is no queue item 99" in missing.stderr
    assert runner.invoke(cli, ["users", "disable", "mod@example.org", "--data", data]).exit_code == 0
