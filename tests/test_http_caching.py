"""HTTP caching, compression and CORS on the real app: a repeat request gets 304 until a new generation is
published, bodies are compressed as the client accepts, and only the read-only API answers other origins."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest

from indexer import run_indexer
from tests.helpers import write_markdown

CACHED = ["/", "/search?q=housing", "/doc/2016/croydon-housing-commission", "/api/search?q=housing",
          "/api/documents/2016/croydon-housing-commission", "/search.csv?q=housing", "/search.atom?q=housing",
          "/councils", "/network", "/api/openapi.json"]  # fmt: skip


@pytest.mark.parametrize("url", CACHED)
def test_a_repeat_request_with_the_tag_gets_304_and_no_body(client, url):
    first = client.get(url)
    assert first.status_code == 200, url
    tag = first.headers["ETag"]
    assert tag.startswith('W/"g') and first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag and again.headers["Content-Security-Policy"]  # security headers as ever
    stale = client.get(url, headers={"If-None-Match": 'W/"g0-old-2000-01-01"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_a_new_generation_changes_every_tag(corpus_dir, index_dir, make_app):
    write_markdown(corpus_dir, "a.md", "A community energy co-operative.", title="Solar shares", date="2020-01-01")
    run_indexer(corpus_dir, index_dir)
    client = make_app(index_dir, corpus_dir).test_client()
    before = client.get("/search?q=energy")
    write_markdown(corpus_dir, "b.md", "An energy club for tenants.", title="Tenant energy club", date="2021-01-01")
    run_indexer(corpus_dir, index_dir)
    after = client.get("/search?q=energy", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "Tenant energy club" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]


@pytest.mark.parametrize("url", ["/search?q=housing&theme=no-such-theme-at-all&page=x", "/doc/2016/no-such-doc",
                                 "/submit", "/moderate", "/static/style.css"])  # fmt: skip
def test_errors_the_hub_and_static_files_get_no_generation_tag(client, url):
    with client.get(url) as response:  # a static file's body is an open file until the response is closed
        assert not response.headers.get("ETag", "").startswith('W/"g'), url


def test_the_hub_is_never_stored(client):
    assert client.get("/submit").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("encoding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
@pytest.mark.parametrize("url", ["/search?q=housing", "/api/search?q=housing", "/search.csv?q=housing"])
def test_bodies_are_compressed_as_the_client_accepts(client, url, encoding, decode):
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding and "Accept-Encoding" in packed.headers["Vary"]
    assert decode(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
    assert packed.headers["ETag"] == plain.headers["ETag"]  # a weak tag: the same page, however it travels


def test_the_read_only_api_answers_any_origin_without_credentials(client):
    answer = client.get("/api/search?q=housing", headers={"Origin": "https://researcher.example.org"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert json.loads(answer.data)["total"] > 0
    preflight = client.options(
        "/api/search", headers={"Origin": "https://researcher.example.org", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in preflight.headers.get("Access-Control-Allow-Methods", "")


@pytest.mark.parametrize("url", ["/search?q=housing", "/submit", "/moderate"])
def test_pages_and_the_hub_do_not_answer_other_origins(client, url):
    response = client.get(url, headers={"Origin": "https://elsewhere.example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers
