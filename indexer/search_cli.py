"""The `coop-library search` command: a thin layer over library.search."""

from __future__ import annotations

import json
import re
import sys
from html import unescape
from pathlib import Path

import click

from coop_library.options import index_option
from library import settings
from library.errors import LibraryError
from library.search import SORTS, Library, SearchRequest, SearchResult
from library.vocab import load_vocabularies, vocabulary_folder

from .report import EXIT_FATAL


@click.command()
@click.argument("query", required=False, default="")
@index_option()
@click.option("--theme", multiple=True, help="Only this theme id (repeat for any of several).")
@click.option("--council", multiple=True, help="Only this council id (repeat for any of several).")
@click.option("--type", "doc_type", multiple=True, help="Only this document type id (repeat for any of several).")
@click.option("--region", multiple=True, help="Only this region id (repeat for any of several).")
@click.option("--principle", multiple=True, help="Only this network principle id (repeat for any of several).")
@click.option("--status", multiple=True, help="Only this status id, such as funded (repeat for any of several).")
@click.option("--evidence", multiple=True, help="Only this evidence level id, such as described (repeatable).")
@click.option("--organisation", multiple=True, help="Only practice this organisation id took part in (repeatable).")
@click.option("--members-only", is_flag=True, help="Only practice by councils the sources show in the network.")
@click.option("--from", "year_from", type=int, help="Only documents from this year on.")
@click.option("--to", "year_to", type=int, help="Only documents up to this year.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True, help="Order of results.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="Page of results.")
@click.option("--per-page", type=click.IntRange(1, 100), default=10, show_default=True, help="Results per page.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search(
    query: str,
    index_dir: Path,
    theme: tuple[str, ...],
    council: tuple[str, ...],
    doc_type: tuple[str, ...],
    region: tuple[str, ...],
    principle: tuple[str, ...],
    status: tuple[str, ...],
    evidence: tuple[str, ...],
    organisation: tuple[str, ...],
    members_only: bool,
    year_from: int | None,
    year_to: int | None,
    sort: str,
    page: int,
    per_page: int,
    as_json: bool,
) -> None:
    """Search the library, with facet counts.

    Plain words and whole questions work: question words are left out,
    years in words ("since 2020") become the year filter, and synonyms
    from synonyms.yaml are searched too. The answer counts only documents
    holding every distinctive word. "Quoted phrases", AND, OR, NOT and
    field terms such as council:plymouth, theme:housing, type:policy-lab
    and year:2016 work too.

    \b
    Example:
        coop-library search "housing commission" --council croydon --from 2015 --json
    """
    corpus = settings.get_path("corpus")
    try:
        library = Library(index_dir, load_vocabularies(vocabulary_folder(corpus)))
        result = library.search(
            SearchRequest(
                query=query,
                theme=tuple(theme),
                council=tuple(council),
                type=tuple(doc_type),
                region=tuple(region),
                year_from=year_from,
                year_to=year_to,
                sort=sort,
                page=page,
                per_page=per_page,
                principle=tuple(principle),
                status=tuple(status),
                evidence=tuple(evidence),
                organisation=tuple(organisation),
                members_only=members_only,
            )
        )
    except LibraryError as exc:
        click.echo(f"coop-library search: {exc}", err=True)
        sys.exit(EXIT_FATAL)
    finally:
        if "library" in locals():
            library.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(listing(result))


def listing(result: SearchResult) -> str:
    """A readable listing: the answer line, notices, results, then facet counts."""
    lines = [f"Search: {result.query!r}"] if result.query else []
    lines += result.answer.sentences()
    if result.answer.synonyms:
        lines.append("Also searched: " + ", ".join(result.answer.synonyms))
    if result.answer.dropped:
        lines.append("Left out as question words: " + ", ".join(result.answer.dropped))
    if result.notice:
        lines.append(f"Note: {result.notice}")
    if result.suggestion:
        lines.append(f"Did you mean: {result.suggestion}?")
    lines.append(f"Page {result.page} of {result.pages}")
    for n, hit in enumerate(result.results, start=(result.page - 1) * result.per_page + 1):
        councils = ", ".join(c["name"] for c in hit.councils) or "no council named"
        lines += ["", f"{n}. {hit.title} ({hit.date or 'undated'}, {hit.type})", f"   {councils}"]
        if hit.lead:
            lines.append(f"   Led by: {hit.lead['name']}")
        record = [hit.status["label"]] if hit.status else []
        lines.append("   " + " · ".join([*record, f"What came of it: {hit.evidence.get('label', '')}"]))
        if hit.lead_contact:
            lines.append(f"   Who to contact: {hit.lead_contact}")
        if hit.missing:
            lines.append("   Does not mention: " + ", ".join(hit.missing))
        lines += [f"   {_plain(hit.snippet)}", f"   id: {hit.id}"]
    for name, values in result.facets.items():
        shown = [f"{'[x] ' if v.selected else ''}{v.label} ({v.count})" for v in values[:8]]
        if shown:
            lines += ["", f"{name}: " + "; ".join(shown)]
    return "\n".join(lines)


def _plain(snippet_html: str) -> str:
    return unescape(re.sub(r"</?mark>", "*", snippet_html)).replace("\n", " ")
