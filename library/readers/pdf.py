"""PDF reports: text page by page with pypdf."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import settings
from ..errors import ParseError
from .common import RawDocument, clean_text, read_bytes, read_sidecar

if TYPE_CHECKING:  # pypdf is imported when a PDF is read
    from pypdf import PageObject
    from pypdf.generic import PdfObject, StreamObject

logging.getLogger("pypdf").setLevel(logging.ERROR)
MAX_TEXT_CHARS = 2_000_000
# Page description parsed per PDF: pypdf reads a page's content again for every page that shares it and a form
# again every time a page draws it, so a file of a few kilobytes can unpack to hours of parsing.
MAX_PARSE_BYTES = 20_000_000
MAX_FORM_DEPTH = 50
_DELIMITED = rb"(?![^\s/\[\]()<>{}%])"  # the token ends here: whitespace, a delimiter or the end
_DRAWS = re.compile(rb"(?<![^\s/\[\]()<>{}%])Do" + _DELIMITED)  # every 'Do' operator
_NAMED_DRAWS = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do" + _DELIMITED)  # 'Do' after the name of what it draws
_SHOWS_TEXT = re.compile(rb"T[jJ]|Do|['\"]")  # pypdf parses only streams with one of these


def read_pdf(path: Path, shown: str, max_bytes: int) -> RawDocument:
    """Extract the text of a PDF; encrypted, corrupt or textless PDFs are refused."""
    max_pages = settings.get_int("max_pdf_pages")
    import pypdf
    from pypdf.errors import PdfReadError

    data = read_bytes(path, shown, max_bytes)
    warnings: list[str] = []
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ParseError(shown, "is not a PDF (it does not start with %PDF-)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ParseError(shown, "is an encrypted PDF; save an unencrypted copy and index that")
        pages = []
        total = 0
        budget = _ParseBudget()
        for number, page in enumerate(reader.pages, start=1):
            if number > max_pages:
                warnings.append(f"only the first {max_pages} pages were read")
                break
            if not budget.allows(page):
                if number == 1:
                    raise ParseError(
                        shown, f"is a PDF whose first page unpacks to over {MAX_PARSE_BYTES:,} bytes to read"
                    )
                warnings.append(f"pages after page {number - 1} were not read: they unpack to too much to read")
                break
            text = page.extract_text() or ""
            total += len(text)
            if total > MAX_TEXT_CHARS:
                warnings.append(f"text cut at {MAX_TEXT_CHARS:,} characters")
                break
            pages.append(text)
        title = ""
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title)
    except ParseError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
        RecursionError,
        MemoryError,
        ZeroDivisionError,
        AssertionError,
    ) as exc:
        raise ParseError(shown, f"is a damaged PDF that cannot be read ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many kinds of error on hostile files
        if type(exc).__module__.startswith("pypdf"):
            raise ParseError(shown, f"is a PDF pypdf cannot read ({exc})") from None
        raise
    body = clean_text("\n\n".join(pages))
    if not body:
        raise ParseError(shown, "is a PDF with no extractable text (a scan? run OCR on it first)")
    meta = read_sidecar(path, shown, max_bytes, warnings)
    first_line = body.split("\n", 1)[0].strip()
    return RawDocument(shown, meta, body, found_title=title.strip() or first_line[:200], warnings=warnings)


class _ParseBudget:
    """What is left of MAX_PARSE_BYTES for one PDF, counting each page's content and each form every time it is drawn."""

    def __init__(self) -> None:
        self.left = MAX_PARSE_BYTES
        self._form_costs: dict[int, int] = {}  # id of a form XObject -> bytes parsed each time it is drawn

    def allows(self, page: PageObject) -> bool:
        """Charge for reading one page's text; False once the PDF's budget is spent."""
        contents = page.get_contents()
        if contents is not None:
            self.left -= self._cost(contents.get_data(), page.get("/Resources"), 0)
        return self.left >= 0

    def _cost(self, data: bytes, resources: PdfObject | None, depth: int) -> int:
        """Bytes parsed to read a stream's text: its own, and each form's every time the stream draws it."""
        if not _SHOWS_TEXT.search(data):
            return 0
        cost, draws = len(data), len(_DRAWS.findall(data))
        if not draws:
            return cost
        if depth >= MAX_FORM_DEPTH:
            return MAX_PARSE_BYTES + 1
        forms = _forms(resources)
        names = _NAMED_DRAWS.findall(data)
        for name in names:  # an image, or a name with no form behind it, costs nothing
            form = forms.get(_name(name))
            cost += self._form_cost(form, depth) if form is not None else 0
            if cost > self.left:
                return cost
        unnamed = draws - len(names)  # e.g. a comment between the name and 'Do': charge the dearest form
        dearest = 0
        for form in forms.values() if unnamed > 0 else ():
            dearest = max(dearest, self._form_cost(form, depth))
            if cost + unnamed * dearest > self.left:
                break
        return cost + unnamed * dearest

    def _form_cost(self, form: StreamObject, depth: int) -> int:
        key = id(form)
        if key not in self._form_costs:
            self._form_costs[key] = 0  # pypdf draws a form that draws itself only once
            self._form_costs[key] = self._cost(form.get_data(), form.get("/Resources"), depth + 1)
        return self._form_costs[key]


def _forms(resources: PdfObject | None) -> dict[str, StreamObject]:
    """The form XObjects of a resource dictionary, by name."""
    from pypdf.generic import StreamObject

    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if isinstance(resources, dict) else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, dict):
        return {}
    found: dict[str, StreamObject] = {}
    for name, value in xobjects.items():
        form = value.get_object() if value is not None else None
        if isinstance(form, StreamObject) and form.get("/Subtype") == "/Form":
            found[str(name)] = form
    return found


def _name(raw: bytes) -> str:
    """A name as written in a content stream, decoded the way pypdf decodes it."""
    from pypdf.generic import NameObject

    plain = NameObject.unnumber(b"/" + raw)
    for charset in NameObject.CHARSETS:
        try:
            return plain.decode(charset)
        except UnicodeDecodeError:
            continue
    return plain.decode("latin-1")
