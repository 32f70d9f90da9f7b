"""The Culture Hub's forms: what an officer submits, how a moderator signs in, edits, approves and rejects.

Messages are written for a council officer; each is shown beside its field and in the summary at the top.
Choices (types, themes, principles) come from the vocabularies the library was opened with.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from library.hub import intake
from library.hub.accounts import EMAIL
from library.hub.store import HubError
from library.vocab import Vocabularies

YEAR = r"^[0-9]{4}\Z"
DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\Z"
DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
MAX_BODY = 200_000


def vocab() -> Vocabularies:
    return current_app.extensions["library"].vocab


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def text(label: str, *validators: object, area: bool = False) -> StringField:
    """A text field whose value is trimmed of surrounding spaces before it is checked."""
    field = TextAreaField if area else StringField
    return field(label, validators=list(validators), filters=[strip])


def required(message: str) -> DataRequired:
    return DataRequired(message)


def at_most(characters: int, message: str) -> Length:
    return Length(max=characters, message=message)


def year_in_range(_form: FlaskForm, field: StringField) -> None:
    latest = datetime.now().year + 1
    if re.match(YEAR, field.data or "") and not 1990 <= int(field.data) <= latest:
        raise ValidationError(f"Enter a year between 1990 and {latest}")


def real_date(_form: FlaskForm, field: StringField) -> None:
    if re.match(DATE, field.data or ""):
        try:
            datetime.strptime(field.data, DATE_FORMATS[len(field.data)])
        except ValueError:
            raise ValidationError("Enter a real date, such as 2024-03-01") from None


def year_field() -> StringField:
    return text("Year", Optional(), Regexp(YEAR, message="Enter the year as four digits, such as 2024"), year_in_range)


def council_id(field: StringField) -> str:
    """The register id of the council a field names, or a ValidationError saying what to write instead."""
    try:
        return intake.resolve_council(vocab(), field.data or "")
    except HubError as exc:
        raise ValidationError(str(exc)) from None


class TagForm(FlaskForm):
    """A form with the record's type, themes and principles to choose from."""

    type = SelectField("Type")
    themes = SelectMultipleField("Themes", validate_choice=True)
    principles = SelectMultipleField("Network principles", validate_choice=True)
    summary = text("Summary", at_most(1000, "Keep the summary under 1,000 characters"), area=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        words = vocab()
        self.type.choices = [(t.id, t.label) for t in words.doc_types.values()]
        self.themes.choices = sorted(((t.id, t.label) for t in words.themes.values()), key=lambda c: c[1])
        self.principles.choices = [(p.id, p.label) for p in words.principles.values()]


class SubmissionForm(TagForm):
    title = text(
        "Title", required("Enter a title for your practice"), at_most(300, "Keep the title under 300 characters")
    )
    council = text("Your council", required("Enter your council's name"), at_most(200, "Enter your council's name"))
    type = SelectField("What kind of document it is", default="case-study")
    year = year_field()
    body = text(
        "The full text",
        at_most(MAX_BODY, f"The text is over {MAX_BODY:,} characters: attach it as a PDF instead"),
        area=True,
    )
    source_url = text("Web address where it is published", at_most(intake.MAX_URL, "That web address is too long"))
    pdf = FileField("A PDF of the document")
    submitter_name = text("Your name", required("Enter your name"), at_most(200, "Keep your name under 200 characters"))
    submitter_email = text(
        "Your work email address",
        required("Enter your email address"),
        at_most(254, "Enter an email address under 254 characters"),
        Regexp(EMAIL.pattern, message="Enter an email address in the right format, like name@council.gov.uk"),
    )
    website = StringField("Leave this empty")  # the honeypot: hidden from people, filled in by robots

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.pdf_bytes: bytes | None = None
        self.pdf_extracted = ""

    def validate_council(self, field: StringField) -> None:
        council_id(field)

    def validate_source_url(self, field: StringField) -> None:
        if field.data and not intake.is_web_address(field.data):
            raise ValidationError(
                "Enter a web address starting with https:// or http://, such as https://www.oldham.gov.uk/news"
            )

    def validate_pdf(self, field: FileField) -> None:
        if not field.data:
            return
        data = field.data.read(intake.MAX_PDF_BYTES + 1)
        try:
            self.pdf_extracted = intake.pdf_text(data)
        except HubError as exc:
            raise ValidationError(str(exc)) from None
        self.pdf_bytes = data

    def validate(self, extra_validators=None) -> bool:
        """Check every field, then that there is some text: typed, or read from the PDF."""
        valid = super().validate(extra_validators)
        if valid and not self.body.data and not self.pdf_extracted:
            self.body.errors.append(
                "Paste the text of your practice, or attach it as a PDF"
                if self.pdf_bytes is None
                else "We could not read any text in the PDF (is it a scan?). Paste the text here as well"
            )
            return False
        return valid

    @property
    def is_robot(self) -> bool:
        """Whether the field hidden from people was filled in."""
        return bool(self.website.data)

    def item_fields(self) -> dict[str, object]:
        """The submission in the queue's terms, for intake.submission."""
        return {
            "title": self.title.data, "council": self.council.data, "doc_type": self.type.data,
            "themes": list(self.themes.data or []), "principles": list(self.principles.data or []),
            "year": int(self.year.data) if self.year.data else None, "summary": self.summary.data or "",
            "body": self.body.data or self.pdf_extracted, "source_url": self.source_url.data or "",
            "submitter_name": self.submitter_name.data, "submitter_email": self.submitter_email.data,
        }  # fmt: skip


class SignInForm(FlaskForm):
    email = text("Email address", required("Enter your email address"), at_most(254, "Enter your email address"))
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=1000)])
    next = HiddenField()


class RecordForm(TagForm):
    """The record a moderator proposes for an item: what the library will say about it."""

    title = text("Title", required("Enter a title"), at_most(300, "Keep the title under 300 characters"))
    lead = text("Lead council", at_most(200, "Enter one council's name"))
    councils = text("Councils taking part", at_most(4000, "Name fewer councils"))
    year = year_field()
    date = text(
        "Date", Optional(), Regexp(DATE, message="Enter the date as 2024-03-01, or the month as 2024-03"), real_date
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.lead_id = ""
        self.council_ids: list[str] = []

    def validate_lead(self, field: StringField) -> None:
        self.lead_id = council_id(field) if field.data else ""

    def validate_councils(self, field: StringField) -> None:
        try:
            self.council_ids = intake.resolve_councils(vocab(), field.data or "")
        except HubError as exc:
            raise ValidationError(str(exc)) from None

    def changes(self) -> dict[str, object]:
        """The edits, in the store's terms."""
        return {
            "title": " ".join((self.title.data or "").split()), "doc_type": self.type.data, "lead": self.lead_id,
            "councils": self.council_ids, "themes": list(self.themes.data or []),
            "principles": list(self.principles.data or []), "year": int(self.year.data) if self.year.data else None,
            "date": self.date.data or "", "summary": self.summary.data or "",
        }  # fmt: skip


class RejectForm(FlaskForm):
    reason = text(
        "Why it is rejected",
        required("Say why you are rejecting it: the reason is kept with the item"),
        at_most(2000, "Keep the reason under 2,000 characters"),
        area=True,
    )


class ActionForm(FlaskForm):
    """A button and its CSRF token: publish now, sign out."""
