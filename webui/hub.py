"""The Culture Hub's pages: officers submit practice without an account; moderators sign in, review and publish.

Thin views over `library.hub`: the store keeps the queue, `intake` turns a form into a queue item, `accounts`
signs moderators in, `publish` approves and rejects. Submitted text is hostile until a moderator says otherwise:
every page shows it escaped, as text, never in a script or an unquoted attribute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from library import settings
from library.hub import accounts, intake, publish
from library.hub.store import HubError, HubStore, QueueItem, new_reference
from library.search import SearchRequest

from .hub_forms import ActionForm, RecordForm, RejectForm, SignInForm, SubmissionForm
from .hub_runs import RUN_KIND, IndexRuns
from .shared import library

MAX_SUBMISSION_BYTES = intake.MAX_PDF_BYTES + 1024 * 1024  # the PDF and the rest of the form
MAX_FIELD_BYTES = 1024 * 1024  # the longest text a form field may hold: the full text, in any script
LOOK_ALIKES = 5

bp = Blueprint("hub", __name__)


class Moderator(UserMixin):
    """A signed-in moderator, as Flask-Login needs one."""

    def __init__(self, user: accounts.User) -> None:
        self.id = user.id
        self.email = user.email

    def get_id(self) -> str:
        return str(self.id)


def store() -> HubStore:
    return current_app.extensions["hub"]


def client_address() -> str:
    return request.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    """Uploads on /submit only, CSRF tokens on every form, moderators' sign-in, and the hub's pages."""

    @app.before_request
    def allow_uploads() -> None:  # registered before CSRFProtect, whose check reads the form under this limit
        if request.endpoint == "hub.submit":
            request.max_content_length = MAX_SUBMISSION_BYTES
            request.max_form_memory_size = MAX_FIELD_BYTES

    CSRFProtect(app)
    app.register_error_handler(CSRFError, form_expired)
    login = LoginManager()
    login.init_app(app, add_context_processor=False)  # public pages never look a moderator up
    login.user_loader(load_moderator)
    login.unauthorized_handler(to_sign_in)
    app.extensions["hub_runs"] = IndexRuns(app.extensions["hub"], Path(app.config["CORPUS"]), Path(app.config["INDEX"]))
    app.register_blueprint(bp)


def load_moderator(user_id: str) -> Moderator | None:
    user = accounts.get_user(store(), int(user_id)) if user_id.isdecimal() else None
    return Moderator(user) if user and not user.disabled else None


def to_sign_in() -> BaseResponse:
    target = request.full_path.removesuffix("?") if request.method == "GET" else url_for("hub.queue")
    return redirect(url_for("hub.signin", next=target))


def form_expired(_exc: CSRFError):
    message = (
        "The form has expired, or was opened before you signed in or out. Go back, copy anything long you typed, "
        "then reload the page and send it again."
    )
    return render_template("error.html", status=400, title="This form has expired", message=message), 400


@bp.after_request
def never_stored(response: Response) -> Response:
    """Forms carry a token for one visitor, and moderation pages personal data: no cache may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge):
    limit = intake.MAX_PDF_BYTES // (1024 * 1024)
    message = (
        f"What you sent is too large: a PDF can be up to {limit} MB. Go back, and attach a smaller PDF or paste "
        "the text instead."
    )
    return render_template("error.html", status=413, title="That file is too large", message=message), 413


def too_many(seconds: int, what: str):
    until = datetime.now(tz=UTC) + timedelta(seconds=seconds)
    minutes = max(1, round(seconds / 60))
    message = f"{what} Please try again after {until:%H:%M} UTC, in about {minutes} minute{'s' if minutes > 1 else ''}."
    page = render_template("error.html", status=429, title="Please wait before trying again", message=message)
    return page, 429, {"Retry-After": str(seconds)}


# ---- submitting practice, no account needed


@bp.route("/submit", methods=["GET", "POST"])
def submit():
    form = SubmissionForm()
    if request.method == "GET":
        return _submit_page(form)
    wait = intake.submission_wait(store(), client_address())
    if wait:
        return too_many(wait, f"You can send up to {intake.SUBMISSIONS_PER_WINDOW} pieces of practice an hour.")
    if form.is_robot:  # the same answer as a person gets, and nothing stored
        intake.record_submission(store(), client_address())
        return _thanks(new_reference())
    if not form.validate_on_submit():
        return _submit_page(form, 400)
    item = intake.submission(library().vocab, **form.item_fields())
    item = store().add(item, pdf=form.pdf_bytes)
    intake.record_submission(store(), client_address())
    return _thanks(item.reference)


def _submit_page(form: SubmissionForm, status: int = 200):
    return render_template("hub/submit.html", form=form, councils=_council_names(), days=_days_kept()), status


def _thanks(reference: str) -> str:
    return render_template("hub/thanks.html", reference=reference, days=_days_kept())


def _days_kept() -> int:
    """Days after review that a submitter's name and email are kept."""
    return settings.get_int("personal_data_days")


def _council_names() -> list[str]:
    """The names to offer as a council is typed: today's councils."""
    councils = library().vocab.councils.values()
    return sorted(c.name for c in councils if not c.abolished and not c.successor)


# ---- signing in and out


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    form = SignInForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return redirect(local_path(form.next.data))
    if request.method == "GET":
        return render_template("hub/signin.html", form=form)
    wait = accounts.wait_seconds(store(), form.email.data or "", client_address())
    if wait:
        return too_many(wait, "There have been too many attempts to sign in to this account or from your connection.")
    if form.validate_on_submit():
        user = accounts.sign_in(store(), form.email.data, form.password.data, client_address())
        if user is not None:
            session.clear()
            login_user(Moderator(user))
            return redirect(local_path(form.next.data))
        form.email.errors.append("The email address or password is not right")
    return render_template("hub/signin.html", form=form), 400


@bp.post("/signout")
def signout():
    logout_user()
    session.clear()
    return redirect(url_for("hub.signin"))


def local_path(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (`//evil.example`, `/\\evil`)."""
    target = target or ""
    parts = urlsplit(target)
    is_local = (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not parts.scheme
        and not parts.netloc
        and target.isprintable()
    )
    return target if is_local else url_for("hub.queue")


# ---- moderating


@bp.get("/moderate")
@login_required
def queue():
    hub = store()
    return render_template(
        "hub/queue.html", items=hub.items("pending"), counts=hub.counts(), last_run=hub.last_run(RUN_KIND),
        running=current_app.extensions["hub_runs"].running(), action=ActionForm(), lib=library(),
        user=current_user,
    )  # fmt: skip


@bp.post("/moderate/publish")
@login_required
def publish_now():
    if current_app.extensions["hub_runs"].start(current_user.email):
        flash("Publishing has started. Refresh this page in a minute to see what it did.", "done")
    else:
        flash("An index run started here is still going. Refresh this page in a minute to see what it did.", "error")
    return redirect(url_for("hub.queue"))


@bp.get("/moderate/<int:item_id>")
@login_required
def review(item_id: int):
    item = _item_or_404(item_id)
    return _review_page(item, RecordForm(formdata=None, data=_record(item)), RejectForm(formdata=None))


@bp.post("/moderate/<int:item_id>/save")
@login_required
def save(item_id: int):
    item = _item_or_404(item_id)
    form = RecordForm()
    if not form.validate():
        return _review_page(item, form, RejectForm(formdata=None), 400)
    try:
        store().edit(item_id, **form.changes())
    except HubError as exc:
        flash(f"Not saved: {exc}.", "error")
    else:
        flash("Your changes are saved.", "done")
    return redirect(url_for("hub.review", item_id=item_id))


@bp.post("/moderate/<int:item_id>/approve")
@login_required
def approve(item_id: int):
    item = _item_or_404(item_id)
    form = RecordForm()
    if not form.validate():
        return _review_page(item, form, RejectForm(formdata=None), 400)
    lib = library()
    try:
        store().edit(item_id, **form.changes())
        done = publish.approve(store(), item_id, current_user.email, Path(current_app.config["CORPUS"]), lib.vocab)
    except (HubError, OSError) as exc:
        flash(f"Not approved: {exc}.", "error")
        return redirect(url_for("hub.review", item_id=item_id))
    flash(
        f"Approved “{shorter(done.title)}”: written to {done.published_path}. It appears in the library after the next "
        "index run: tonight's, or publish now.",
        "done",
    )
    return redirect(url_for("hub.queue"))


@bp.post("/moderate/<int:item_id>/reject")
@login_required
def reject(item_id: int):
    item = _item_or_404(item_id)
    form = RejectForm()
    if not form.validate():
        return _review_page(item, RecordForm(formdata=None, data=_record(item)), form, 400)
    try:
        done = publish.reject(store(), item_id, current_user.email, form.reason.data)
    except HubError as exc:
        flash(f"Not rejected: {exc}.", "error")
        return redirect(url_for("hub.review", item_id=item_id))
    flash(f"Rejected “{shorter(done.title)}”.", "done")
    return redirect(url_for("hub.queue"))


@bp.get("/moderate/<int:item_id>/pdf")
@login_required
def pdf(item_id: int):
    """The PDF an officer attached, as a download: never shown inside the site's pages."""
    item = _item_or_404(item_id)
    if not item.pdf_name:
        abort(404)
    response = send_from_directory(
        store().uploads, item.pdf_name, mimetype="application/pdf", as_attachment=True,
        download_name=f"{item.reference}.pdf",
    )  # fmt: skip
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def shorter(title: str, length: int = 100) -> str:
    """A title short enough for a notice carried in the session cookie."""
    return title if len(title) <= length else title[: length - 1] + "…"


def _item_or_404(item_id: int) -> QueueItem:
    item = store().get(item_id)
    if item is None:
        abort(404)
    return item


def _record(item: QueueItem) -> dict[str, object]:
    """The item's proposed record as the edit form shows it."""
    vocab = library().vocab
    lead = item.lead or item.council
    return {
        "title": item.title, "type": item.doc_type or "case-study",
        "lead": intake.council_names(vocab, [lead]) if lead else "",
        "councils": intake.council_names(vocab, item.councils), "themes": item.themes, "principles": item.principles,
        "year": str(item.year or ""), "date": item.date, "summary": item.summary,
    }  # fmt: skip


def _review_page(item: QueueItem, record: RecordForm, rejection: RejectForm, status: int = 200):
    lib = library()
    look_alikes = lib.search(SearchRequest(query=item.title[:500], per_page=LOOK_ALIKES)).results if item.title else []
    page = render_template(
        "hub/review.html", item=item, record=record, rejection=rejection, look_alikes=look_alikes, lib=lib,
        councils=_council_names(), action=ActionForm(), user=current_user,
        source_url=item.source_url if intake.is_web_address(item.source_url) else "",
    )  # fmt: skip
    return page, status
