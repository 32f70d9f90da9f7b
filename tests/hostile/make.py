"""Write the hostile files that cannot be typed by hand, and assemble the hostile corpus for the tests.

    .venv/bin/python tests/hostile/make.py     rewrites the committed binary files in tests/hostile

The two gigantic single-line files are not committed (together they would be about half a megabyte);
write_corpus() writes them into each test's corpus with write_giant_lines().
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
RESOURCES = b"<< /Font << /F1 3 0 R >> >>"


def pdf(objects: list[bytes], info: int | None = None) -> bytes:
    """Number the objects from 1, with a cross-reference table and a trailer whose root is object 1
    (and whose document information, if given, is object `info`)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    extra = b" /Info %d 0 R" % info if info else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, extra, xref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", filters: int = 0) -> bytes:
    """A stream object, compressed with FlateDecode the given number of times."""
    for _ in range(filters):
        data = zlib.compress(data, 9)
    names = b" ".join([b"/FlateDecode"] * filters)
    filter_entry = b" /Filter [%s]" % names if filters else b""
    return b"<< /Length %d%s%s >>\nstream\n" % (len(data), filter_entry, extra) + data + b"\nendstream"


def text_ops(*lines: str) -> bytes:
    """Content that shows each line of text in Helvetica, one below the other."""
    shown = [f"({line})".encode("cp1252") for line in lines]
    return b"BT /F1 11 Tf 72 720 Td 14 TL " + b" '\n".join(shown) + b" ' ET\n"


def page(parent: int, contents: int, resources: bytes = RESOURCES) -> bytes:
    return b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources %s /Contents %d 0 R >>" % (
        parent,
        resources,
        contents,
    )


def simple_pdf(content: bytes, filters: int = 0) -> bytes:
    """One page whose content stream is given."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            FONT,
            page(2, 5),
            stream(content, filters=filters),
        ]
    )


def good_report() -> bytes:
    lines = [
        "Kirklees: a food co-operative for school holidays",
        "Kirklees Council worked with parents, schools and local growers to set up a food co-operative",
        "that runs holiday clubs with a hot meal, cooking sessions and a shared allotment.",
        "Parents are members and take turns to run the sessions; the council pays for the kitchens",
        "and helps the co-operative bid for grants. Local growers sell surplus produce at cost.",
    ]
    return simple_pdf(text_ops(*lines), filters=1)


def encrypted_report() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    plain = simple_pdf(text_ops("An encrypted co-operative report."))
    writer.add_page(PdfReader(io.BytesIO(plain)).pages[0])
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def whitespace_bomb(megabytes: int) -> bytes:
    """A content stream of one line of text and then many megabytes of spaces."""
    return text_ops("A report on co-operative housing in Oldham.") + b" " * (megabytes * 1_000_000)


def shared_page_bomb(pages: int, megabytes: int) -> bytes:
    """Many pages that share one content stream, which pypdf parses again for each page."""
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        FONT,
        stream(whitespace_bomb(megabytes), filters=2),
    ]
    objects += [page(2, 4) for _ in range(pages)]
    return pdf(objects)


def form_bomb(draws: int, megabytes: int, between: bytes = b" ") -> bytes:
    """One page that draws the same form XObject many times; pypdf parses the form again at each draw."""
    form_content = text_ops("Form text about Oldham co-operative housing.") + b" " * (megabytes * 1_000_000)
    form = stream(form_content, b" /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources 3 0 R", filters=2)
    content = text_ops("A report that draws a form again and again.") + (b"/X0" + between + b"Do\n") * draws
    resources = b"<< /Font << /F1 4 0 R >> /XObject << /X0 6 0 R >> >>"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            b"<< /Font << /F1 4 0 R >> >>",
            FONT,
            page(2, 7, resources),
            form,
            stream(content, filters=1),
        ]
    )


def nested_arrays(depth: int) -> bytes:
    """A page whose dictionary holds arrays nested thousands deep."""
    deep = b"[" * depth + b"]" * depth
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            FONT,
            b"<< /Type /Page /Parent 2 0 R /Resources %s /Contents 5 0 R /Annots %s >>" % (RESOURCES, deep),
            stream(text_ops("Nested arrays report on co-operative housing.")),
        ]
    )


def page_tree_loop() -> bytes:
    """A page tree whose node lists itself among its own kids."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 4 0 R] /Count 2 >>",
            FONT,
            page(2, 5),
            stream(text_ops("A page in a tree that loops back on itself.")),
        ]
    )


def deep_page_tree(levels: int) -> bytes:
    """A page under a chain of page-tree nodes far deeper than any real document."""
    objects = [b"<< /Type /Catalog /Pages 6 0 R >>", b"", FONT, b"", stream(text_ops("A page very deep in its tree."))]
    first, last = 6, 6 + levels - 1
    objects[3] = page(last, 5)
    objects[1] = b"<< /Type /Null >>"
    for number in range(first, last + 1):
        kid = number + 1 if number < last else 4
        parent = b" /Parent %d 0 R" % (number - 1) if number > first else b""
        objects.append(b"<< /Type /Pages%s /Kids [%d 0 R] /Count 1 >>" % (parent, kid))
    return pdf(objects)


COMMITTED = {
    "bad-input/binary-junk.md": lambda: bytes(range(256)) * 4,
    "bad-input/encrypted.pdf": encrypted_report,  # pypdf picks a random file id: the bytes differ on each run
    "good/2017-kirklees-holiday-food.pdf": good_report,
    "pdf/flate-bomb-over-limit.pdf": lambda: simple_pdf(whitespace_bomb(100), filters=2),
    "pdf/flate-bomb.pdf": lambda: simple_pdf(whitespace_bomb(25), filters=2),
    "pdf/shared-page-bomb.pdf": lambda: shared_page_bomb(pages=100, megabytes=11),
    "pdf/form-bomb.pdf": lambda: form_bomb(draws=5000, megabytes=1),
    "pdf/form-bomb-unnamed.pdf": lambda: form_bomb(draws=5000, megabytes=1, between=b" % a comment\n"),
    "pdf/nested-arrays.pdf": lambda: nested_arrays(5000),
    "pdf/page-tree-loop.pdf": page_tree_loop,
    "pdf/deep-page-tree.pdf": lambda: deep_page_tree(150),
}

# Markdown that made the old reader's patterns take time growing with the square of the line's length.
PATHOLOGICAL = "Croydon co-operative housing [link `code *em _x **b __u # a  [[ (( ![i]( "


def write_giant_lines(folder: Path, max_file_bytes: int) -> dict[str, int]:
    """Write one single-line document under the size limit and one over it; return their sizes."""
    under = folder / "giant" / "one-line.md"
    over = folder / "giant" / "over-size.txt"
    under.parent.mkdir(parents=True, exist_ok=True)
    front = "---\ntitle: A document on one gigantic line\ntype: case-study\nyear: 2020\n---\n"
    body = PATHOLOGICAL * ((max_file_bytes * 3 // 4) // len(PATHOLOGICAL))
    under.write_text(front + body, encoding="utf-8")
    over.write_text("word " * (max_file_bytes // 5 + 1000), encoding="utf-8")
    return {"giant/one-line.md": under.stat().st_size, "giant/over-size.txt": over.stat().st_size}


def expectations() -> dict[str, object]:
    """The expectation file: the size limit to index with, and each document's outcome."""
    import yaml

    return yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))


def write_corpus(folder: Path, vocabularies: Path, max_file_bytes: int) -> Path:
    """Copy the vocabularies and every folder of the hostile corpus into a new corpus folder; add the giant lines."""
    import shutil

    from library.vocab import VOCABULARY_FILES

    folder.mkdir(parents=True)
    for name in VOCABULARY_FILES:
        shutil.copy(vocabularies / name, folder / name)
    for part in sorted(HERE.iterdir()):
        if part.is_dir() and not part.name.startswith((".", "_")):
            shutil.copytree(part, folder / part.name)
    write_giant_lines(folder, max_file_bytes)
    return folder


def main() -> None:
    for relative, build in COMMITTED.items():
        path = HERE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build())
        print(f"{relative}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
