"""Commands for the Culture Hub's operators: moderator accounts and the moderation queue."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Literal

import click

from coop_library.options import corpus_option, data_option
from library.errors import LibraryError
from library.hub import accounts, publish
from library.hub.store import HubError, HubStore
from library.vocab import load_vocabularies, vocabulary_folder

from .report import EXIT_FATAL

EXIT_REFUSED = 2  # the operation was not possible: no such item, already decided, a bad password


@click.group()
def users() -> None:
    """Moderator accounts of the Culture Hub.

    \b
    Example:
        coop-library users add moderator@council.gov.uk --role moderator < password.txt
    """


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(accounts.ROLES), default="moderator", show_default=True)
@data_option()
def users_add(email: str, role: str, data_dir: Path) -> None:
    """Create an account; the password is read from standard input (never from the command line)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with _refusals("users add"):
        user = accounts.add_user(HubStore(data_dir), email, password, role)
    click.echo(f"coop-library users: added {user.email} ({user.role}).")


@users.command("list")
@data_option()
def users_list(data_dir: Path) -> None:
    """List the accounts: email, role, and whether disabled."""
    for user in accounts.users(HubStore(data_dir)):
        click.echo(f"{user.email}\t{user.role}\t{'disabled' if user.disabled else 'active'}")


@users.command("disable")
@click.argument("email")
@data_option()
def users_disable(email: str, data_dir: Path) -> None:
    """Stop an account signing in; its past decisions are kept."""
    with _refusals("users disable"):
        accounts.set_disabled(HubStore(data_dir), email)
    click.echo(f"coop-library users: {email} can no longer sign in.")


@click.group()
def queue() -> None:
    """The moderation queue: submissions and harvested news waiting for a decision.

    \b
    Example:
        coop-library queue list --json
        coop-library queue approve 12 --by moderator@council.gov.uk
    """


@queue.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "all"]), default="pending",
              show_default=True)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help='Print [{"id", "status", "origin", "title", ...}] as JSON.')
@data_option()
def queue_list(status: str, as_json: bool, data_dir: Path) -> None:
    """List queue items, oldest pending first."""
    items = HubStore(data_dir).items(None if status == "all" else status)
    if as_json:
        click.echo(json.dumps([item.public() for item in items], ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(
            f"{item.id}\t{item.status}\t{item.origin}\t{_when(item.received)}\t{item.council or '-'}\t{item.title}"
        )
    if not items:
        click.echo(f"coop-library queue: no {status if status != 'all' else ''} items.".replace("  ", " "))


@queue.command("show")
@click.argument("item_id", type=int)
@data_option()
def queue_show(item_id: int, data_dir: Path) -> None:
    """Show one item: its record, where it came from, and its text."""
    item = HubStore(data_dir).get(item_id)
    if item is None:
        click.echo(f"coop-library queue: there is no item {item_id}.", err=True)
        sys.exit(EXIT_REFUSED)
    lines = [
        f"{item.id} {item.reference} {item.status} ({item.origin}, received {_when(item.received)})",
        f"Title: {item.title}",
        f"Council: {item.council or '-'}  Type: {item.doc_type or '-'}  Year: {item.year or '-'}",
        f"Themes: {', '.join(item.themes) or '-'}  Principles: {', '.join(item.principles) or '-'}",
        f"Source: {item.source_url or '-'}",
    ]
    if item.submitter_name or item.submitter_email:
        lines.append(f"Submitted by: {item.submitter_name} <{item.submitter_email}>")
    if item.relevance is not None:
        lines.append(f"Relevance: {item.relevance:.2f}")
    if item.reason:
        lines.append(f"Reason: {item.reason}")
    if item.published_path:
        lines.append(f"Published as: {item.published_path}")
    lines += ["", item.summary, "", item.body]
    click.echo(click.unstyle("\n".join(lines)))


@queue.command("approve")
@click.argument("item_id", type=int)
@click.option("--by", "by", required=True, help="The moderator's email, recorded with the decision.")
@data_option()
@corpus_option("Corpus folder the approved document is written into (under hub/<year>/).")
def queue_approve(item_id: int, by: str, data_dir: Path, corpus: Path) -> None:
    """Approve an item: write it into the corpus as hub/<year>/<slug>.md; the next index run publishes it."""
    with _refusals("queue approve"):
        vocab = load_vocabularies(vocabulary_folder(corpus))
        item = publish.approve(HubStore(data_dir), item_id, by, corpus, vocab)
    click.echo(f"coop-library queue: approved {item_id}; written to {Path(corpus) / item.published_path}.")


@queue.command("reject")
@click.argument("item_id", type=int)
@click.option("--reason", required=True, help="Why: kept with the item for the submitter and other moderators.")
@click.option("--by", "by", default="command line", show_default=True, help="Who decided.")
@data_option()
def queue_reject(item_id: int, reason: str, by: str, data_dir: Path) -> None:
    """Reject an item with a reason; it stays in the queue's history and is not fetched again."""
    with _refusals("queue reject"):
        publish.reject(HubStore(data_dir), item_id, by, reason)
    click.echo(f"coop-library queue: rejected {item_id}.")


class _refusals:
    """Turn the hub's refusals into one clear line and exit code 2, and other library errors into exit code 3."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> Literal[False]:
        if isinstance(error, HubError):
            click.echo(f"coop-library {self.command}: {error}", err=True)
            sys.exit(EXIT_REFUSED)
        if isinstance(error, LibraryError):
            click.echo(f"coop-library {self.command}: {error}", err=True)
            sys.exit(EXIT_FATAL)
        return False


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M")


__all__ = ["queue", "users"]
