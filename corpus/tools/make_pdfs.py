#!/usr/bin/env python3
"""Generate the two PDF reports bundled in the corpus.

Pure standard library: a minimal PDF 1.4 writer using the standard Type 1
fonts Helvetica and Helvetica-Bold with WinAnsiEncoding. Text is wrapped to
the page using the fonts' published (AFM) character widths, flows onto as
many A4 pages as it needs, and every page carries a footer with its number.

Run from anywhere:

    python corpus/tools/make_pdfs.py

It writes:

    corpus/2023/growing-an-inclusive-co-operative-economy.pdf
    corpus/2019/policy-labs-2019-prospectus.pdf

The report texts live below as Python strings. Each document is a list of
blocks: ("title", text), ("subtitle", text), ("h", text) for a section
heading, ("p", text) for a paragraph and ("li", text) for a bullet point.
"""

from __future__ import annotations

import os
import sys

# --------------------------------------------------------------------------
# Font metrics (widths in 1/1000 em) for the printable ASCII range, from the
# Adobe Core 14 AFM files, plus the few WinAnsi characters the texts use.
# --------------------------------------------------------------------------

_ASCII = "".join(chr(c) for c in range(32, 127))

_HELVETICA = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556,  # 0-9
    278, 278, 584, 584, 584, 556, 1015,  # : ; < = > ? @
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,  # A-M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,  # N-Z
    278, 278, 278, 469, 556, 333,  # [ \ ] ^ _ `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833,  # a-m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500,  # n-z
    334, 260, 334, 584,  # { | } ~
]

_HELVETICA_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556,
    333, 333, 584, 584, 584, 611, 975,
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,
    333, 278, 333, 584, 556, 333,
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889,
    611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500,
    389, 280, 389, 584,
]

# Non-ASCII characters used in the texts: (regular width, bold width).
_EXTRA = {
    "\u2013": (556, 556),  # en dash
    "\u2014": (1000, 1000),  # em dash
    "\u2018": (222, 278),  # left single quote
    "\u2019": (222, 278),  # right single quote / apostrophe
    "\u201c": (333, 500),  # left double quote
    "\u201d": (333, 500),  # right double quote
    "\u2022": (350, 350),  # bullet
    "\u00a3": (556, 556),  # pound sign
    "\u00e9": (556, 556),  # e acute
}

WIDTHS = {
    "F1": dict(zip(_ASCII, _HELVETICA)),
    "F2": dict(zip(_ASCII, _HELVETICA_BOLD)),
}
for _ch, (_reg, _bold) in _EXTRA.items():
    WIDTHS["F1"][_ch] = _reg
    WIDTHS["F2"][_ch] = _bold

assert len(_HELVETICA) == len(_ASCII) == len(_HELVETICA_BOLD)


def text_width(text: str, font: str, size: float) -> float:
    table = WIDTHS[font]
    return sum(table.get(ch, 556) for ch in text) * size / 1000.0


def wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap to max_width points."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = word if not current else current + " " + word
        if text_width(trial, font, size) <= max_width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def pdf_string(text: str) -> bytes:
    """Encode text as a PDF literal string in WinAnsiEncoding (cp1252)."""
    raw = text.encode("cp1252")
    out = bytearray(b"(")
    for b in raw:
        if b in (0x28, 0x29, 0x5C):  # ( ) backslash
            out += b"\\" + bytes([b])
        elif 32 <= b < 127:
            out.append(b)
        else:
            out += b"\\%03o" % b
    out += b")"
    return bytes(out)


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------

PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN_L, MARGIN_R = 64.0, 64.0
MARGIN_T, MARGIN_B = 72.0, 78.0
BODY_W = PAGE_W - MARGIN_L - MARGIN_R

STYLES = {
    # kind: (font, size, leading, space_before, space_after, indent)
    "title": ("F2", 20.0, 25.0, 0.0, 6.0, 0.0),
    "subtitle": ("F1", 12.0, 16.0, 0.0, 14.0, 0.0),
    "h": ("F2", 13.0, 17.0, 10.0, 4.0, 0.0),
    "p": ("F1", 10.5, 14.5, 0.0, 7.0, 0.0),
    "li": ("F1", 10.5, 14.5, 0.0, 4.0, 14.0),
}


def layout(blocks: list[tuple[str, str]]) -> list[list[tuple[str, float, float, float, str]]]:
    """Turn blocks into pages of (font, size, x, y, text) line records."""
    pages: list[list[tuple[str, float, float, float, str]]] = [[]]
    y = PAGE_H - MARGIN_T

    def new_page() -> None:
        nonlocal y
        pages.append([])
        y = PAGE_H - MARGIN_T

    for index, (kind, text) in enumerate(blocks):
        font, size, leading, before, after, indent = STYLES[kind]
        lines = wrap(text, font, size, BODY_W - indent)
        if pages[-1]:
            y -= before
        needed = leading * len(lines)
        if kind == "h":
            # keep a heading with at least two lines of what follows
            needed += 2 * STYLES["p"][2]
        if y - needed < MARGIN_B and pages[-1]:
            new_page()
        for n, line in enumerate(lines):
            if y - leading < MARGIN_B:
                new_page()
            y -= leading
            x = MARGIN_L + indent
            if kind == "li" and n == 0:
                pages[-1].append((font, size, MARGIN_L + 2.0, y, "\u2022"))
            pages[-1].append((font, size, x, y, line))
        y -= after
    return pages


def build_pdf(blocks: list[tuple[str, str]], title: str, footer: str) -> bytes:
    pages = layout(blocks)
    total = len(pages)

    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(obj: bytes) -> int:
        objects.append(obj)
        return len(objects)

    catalog_id = add(b"")  # placeholder, filled below
    pages_id = add(b"")
    font_reg = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    font_bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")

    page_ids: list[int] = []
    for number, records in enumerate(pages, start=1):
        ops = bytearray()
        for font, size, x, y, text in records:
            ops += b"BT /%s %.1f Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET\n" % (
                font.encode(), size, x, y, pdf_string(text))
        foot = "%s \u2013 page %d of %d" % (footer, number, total)
        ops += b"0.4 g\n"
        ops += b"BT /F1 8.5 Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET\n" % (
            MARGIN_L, MARGIN_B - 36.0, pdf_string(foot))
        ops += b"0 g\n"
        stream = bytes(ops)
        content_id = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
        page_id = add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>"
            % (pages_id, PAGE_W, PAGE_H, font_reg, font_bold, content_id))
        page_ids.append(page_id)

    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, total)
    objects[catalog_id - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    info_id = add(b"<< /Title %s /Author %s /Producer %s >>" % (
        pdf_string(title),
        pdf_string("CCIN library corpus"),
        pdf_string("corpus/tools/make_pdfs.py")))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog_id, info_id, xref_at)
    return bytes(out)


# --------------------------------------------------------------------------
# Report texts
# --------------------------------------------------------------------------

GROWING_AN_INCLUSIVE_CO_OPERATIVE_ECONOMY = [
    ("title", "Growing an Inclusive Co-operative Economy"),
    ("subtitle", "A library summary of the CCIN Policy Lab led by Oxford City Council, "
                 "with Torbay Council and Stevenage Borough Council as steering group members"),
    ("p", "A summary written for the Co-operative Practice Library from: \u201cCo-operative Councils\u2019 "
          "Innovation Network (CCIN) \u2013 annual report to LGA Board 2024\u201d, Local Government "
          "Association, 2024 (covering the year to the end of July 2023). It is not the Policy Lab report "
          "itself, and not a council\u2019s or the network\u2019s own publication."),

    ("h", "About this summary"),
    ("p", "Growing an inclusive co-operative economy is one of three Policy Lab reports that the "
          "Co-operative Councils\u2019 Innovation Network (CCIN) lists as launched in its annual report to "
          "the Local Government Association Board for the year to July 2023. This summary sets out what "
          "that annual report says about the lab: who did the work, what each council\u2019s pilot focused "
          "on and which approaches were used. It adds no figures or findings of its own; where the source "
          "is silent, this summary says so. The full Policy Lab report is not one of this library\u2019s "
          "sources."),

    ("h", "Who took part"),
    ("p", "A steering group led by Oxford City Council ran the lab. Torbay Council and Stevenage Borough "
          "Council were also steering group members. Each of the three councils delivered a test-and-learn "
          "pilot in its own area, so the lab offers three different starting points for growing "
          "co-operatives and spreading the benefits of the local economy."),

    ("h", "The Oxford pilot: co-operative mapping"),
    ("p", "Oxford\u2019s pilot was on co-operative mapping. It looked at creating a directory of the "
          "co-operatives in the city\u2019s areas of deprivation. The directory can be shared with the "
          "procurement teams of large anchor institutions, so that they can give those co-operatives "
          "priority when choosing suppliers. The aim, as the network puts it, is to promote the growth of "
          "co-operatives and to generate local social value."),
    ("p", "This library puts the idea in four words: map before you buy. A buyer can only favour a local co-operative it knows about, and a "
          "directory is a way of making co-operatives visible to the people who choose suppliers. That "
          "is this library\u2019s reading of the pilot\u2019s purpose, not a finding of the report."),

    ("h", "The Torbay pilot: care co-operative development"),
    ("p", "Torbay Council\u2019s pilot focused on developing care co-operatives. The network\u2019s "
          "annual report names that focus but does not describe the pilot\u2019s activities, the number "
          "of co-operatives involved or what resulted."),

    ("h", "The Stevenage pilot: social inclusion"),
    ("p", "Stevenage Borough Council\u2019s pilot focused on social inclusion. As with Torbay, the annual "
          "report gives the focus but not the detail of what was done or what it achieved."),

    ("h", "Approaches used across the pilots"),
    ("p", "The annual report lists the approaches the pilots included, without assigning each one to a "
          "particular council:"),
    ("li", "promoting community wealth building and inclusive economy initiatives, with a focus on "
           "embedding social value in procurement across anchor organisations;"),
    ("li", "community mapping;"),
    ("li", "financial support;"),
    ("li", "advice; and"),
    ("li", "awareness-raising."),

    ("h", "Why this matters for councils"),
    ("p", "Between them, the pilots touch several things a council can do about its local economy: find "
          "out which co-operatives are already there, make that information available to the people who "
          "buy, build social value into procurement, and offer money, advice and publicity. They also show "
          "three different entry points: procurement (Oxford), a service area (care, in Torbay) and the "
          "people left out of the local economy (social inclusion, in Stevenage)."),
    ("p", "In its 2023 round the network also approved a separate Policy Lab, a Social Value Toolkit for "
          "Councils, led by Oxford City Council. The sources do not say whether the toolkit builds on "
          "these pilots."),

    ("h", "Questions for councillors"),
    ("li", "Do we know which co-operatives operate in our most deprived areas?"),
    ("li", "Do our procurement teams, and those of our local anchor partners, have that information when "
           "they choose suppliers?"),
    ("li", "Is there a service we already commission, such as care, where co-operative development could "
           "be explored?"),
    ("li", "What financial support, advice and awareness-raising could we offer to co-operatives?"),

    ("h", "What the sources do not say"),
    ("p", "The annual report gives no figures for this Policy Lab: not the number of co-operatives mapped, "
          "the anchor institutions that received the directory, any change in spending, or measured "
          "results from any pilot. It does not give the date the report was launched, beyond listing it "
          "among the year\u2019s highlights to July 2023, and it names no partner organisations. Readers "
          "who need those details should go to the full report or to the councils involved."),

    ("h", "Who to contact"),
    ("p", "Oxford City Council, as lead of the steering group for the Growing an inclusive co-operative "
          "economy Policy Lab. Torbay Council can speak about the care co-operative pilot and Stevenage "
          "Borough Council about the social inclusion pilot."),
]

POLICY_LABS_2019_PROSPECTUS = [
    ("title", "CCIN Policy Labs 2019"),
    ("subtitle", "A library summary of the network\u2019s 2019 round of member-led Policy Labs and the "
                 "five projects it lists as funded"),
    ("p", "A summary written for the Co-operative Practice Library from: \u201cCCIN review of the year "
          "August 2018 \u2013 July 2019\u201d, Co-operative Councils\u2019 Innovation Network, 2019. It is "
          "not a prospectus issued by the network, and not a council\u2019s own publication."),

    ("h", "Small grants, shared answers"),
    ("p", "The Co-operative Councils\u2019 Innovation Network (CCIN) describes Policy Labs as member-led "
          "projects, in which members work with other members to find co-operative policy solutions to "
          "the challenges facing local government. In the 2019 round, members could apply for up to "
          "\u00a310,000 to deliver a Policy Lab."),
    ("p", "The network said the round was open to all ideas, the more innovative the better, and gave two "
          "examples of the range it had in mind: co-operative approaches to tackling food poverty, and "
          "initiatives that put communities back at the heart of local decision-making."),
    ("p", "The network\u2019s review of August 2018 to July 2019 lists five funded projects, set out "
          "below. The review describes what each set out to do; it does not report their results, and "
          "this summary does not add any."),

    ("h", "1. Co-operative approaches to sustainable food"),
    ("p", "Presented as a partnership with Sustainable Food Cities, this lab started from three "
          "observations: food can be a vehicle for co-operative action and enterprise; there was room to "
          "deepen understanding of co-operative approaches to sustainable food; and eight CCIN members had "
          "referred to their food activity, on enterprise, poverty, health, growing and education, at the "
          "CCIN Annual Conference. The plan had four parts: at least four interactive workshops across the "
          "combined CCIN and Sustainable Food Cities network of more than 70 areas; videos and other "
          "products highlighting local activity; a single policy tool bringing findings and case studies "
          "together; and presentations at two leading national conferences. As examples of local activity "
          "the review names Plymouth\u2019s CATERed programme, Oldham\u2019s Get Oldham Growing programme, "
          "Cardiff\u2019s focus on food poverty and healthy food, and the Greenwich Community Development "
          "Agency; these are examples, not named partners. The review does not name a lead council."),

    ("h", "2. Co-operative Neighbourhoods"),
    ("p", "Led by Stevenage Borough Council, this lab proposed to test trailblazer pilots in "
          "neighbourhoods or localities. The aim was to show the value of co-operative councils developing "
          "further their ways of working at a very local level, with residents as co-producers of their "
          "communities and neighbourhoods."),

    ("h", "3. Co-operatives Unleashed"),
    ("p", "Led by Plymouth City Council, this lab was an enquiry into strategic council participation in "
          "support of doubling the size of the co-operative economy before the end of the next parliament. "
          "It listed a detailed case study and toolkit, and a summary of the national and international "
          "context with key questions for councils to ask at each stage of developing their own local "
          "thinking and solutions."),

    ("h", "4. Promoting the Cities of Service model of social action"),
    ("p", "Also led by Plymouth City Council, this lab set out to promote Cities of Service, a model the "
          "review sums up as people helping people. It combines the strategic overview and leadership of "
          "local government with the skills, knowledge and energy of citizens, aimed at the most pressing "
          "challenges in a given area. The model rests on four defining characteristics: leadership, clear "
          "objectives, purposeful action and impact."),

    ("h", "5. Achieving social outcomes"),
    ("p", "This lab aimed to raise awareness and understanding of social value and of maximising social "
          "outcomes across local government. Its argument was that social value should be mainstreamed, "
          "because the public sector pound can generate substantial social value without extra cost, and "
          "in many cases with lower costs and more sustainable services. Its test of success was social "
          "value becoming mainstream, with councils considering the longer-term social impact on their "
          "communities when making savings, rather than taking short-term decisions. The review does not "
          "name a lead council."),

    ("h", "Reading the round as a whole"),
    ("p", "The five projects cover food, neighbourhood working, the co-operative economy, social action "
          "and social value. Plymouth City Council led two of them, Stevenage Borough Council one, and two "
          "have no lead named in the source."),
    ("p", "The network\u2019s Strategy and Action Plan for 2018 to 2020, in the same review, lists health "
          "and social care Policy Labs for 2020 as a new work programme."),

    ("h", "What the sources do not say"),
    ("p", "The review does not give the amount each project received, their timetables, any councils or "
          "organisations taking part beyond those named above, or any results. Councils wanting to learn "
          "from a particular lab should contact its lead council, or the network where no lead is named."),

    ("h", "Who to contact"),
    ("p", "Stevenage Borough Council for Co-operative Neighbourhoods; Plymouth City Council for "
          "Co-operatives Unleashed and for Cities of Service; the Co-operative Councils\u2019 Innovation "
          "Network for the sustainable food lab and for Achieving Social Outcomes."),
]

DOCUMENTS = [
    ("2023/growing-an-inclusive-co-operative-economy.pdf",
     "Growing an Inclusive Co-operative Economy",
     "Growing an Inclusive Co-operative Economy (Co-operative Practice Library summary)",
     GROWING_AN_INCLUSIVE_CO_OPERATIVE_ECONOMY),
    ("2019/policy-labs-2019-prospectus.pdf",
     "CCIN Policy Labs 2019",
     "CCIN Policy Labs 2019 (Co-operative Practice Library summary)",
     POLICY_LABS_2019_PROSPECTUS),
]


def main() -> int:
    corpus = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for relpath, title, footer, blocks in DOCUMENTS:
        path = os.path.join(corpus, relpath)
        data = build_pdf(blocks, title, footer)
        with open(path, "wb") as fh:
            fh.write(data)
        words = sum(len(text.split()) for _, text in blocks)
        print("wrote %s (%d bytes, %d words)" % (relpath, len(data), words))
    return 0


if __name__ == "__main__":
    sys.exit(main())
