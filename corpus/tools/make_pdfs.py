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
    ("subtitle", "A summary of the CCIN Policy Lab report led by Oxford City Council, "
                 "with Torbay Council and Stevenage Borough Council as steering group members"),

    ("h", "About this summary"),
    ("p", "This is a plain-English summary, prepared for the library, of one of the three Policy Lab "
          "reports that the Co-operative Councils\u2019 Innovation Network (CCIN) launched in the period "
          "covered by its annual report to the Local Government Association Board, which runs to the end "
          "of July 2023. It sets out who did the work, what each council tested and which approaches were "
          "used. It does not add figures or findings that the network\u2019s own account does not give; "
          "where the sources are silent, this summary says so."),

    ("h", "Who took part"),
    ("p", "A steering group of three member councils ran the Policy Lab. Oxford City Council led it. "
          "Torbay Council and Stevenage Borough Council were the other two members of the steering group. "
          "Rather than produce a single shared study, each council delivered its own test-and-learn pilot "
          "in its own area, which lets a reader compare three different routes towards the same goal: "
          "a local economy in which co-operatives grow and more people share in the benefits."),

    ("h", "The Oxford pilot: co-operative mapping"),
    ("p", "Oxford\u2019s pilot was about information. The council set out to map co-operatives, "
          "building a directory of the co-operatives operating in the city\u2019s areas of deprivation. "
          "The directory was meant to be put to work: it can be shared with the procurement teams of large "
          "anchor institutions, so that they can give priority to those co-operatives when they choose "
          "suppliers. The intended result is twofold: co-operatives grow because they win more business, "
          "and the spending generates local social value in the places that need it most."),
    ("p", "The idea behind the pilot can be put in four words: map before you buy. A buyer cannot "
          "favour a local co-operative it does not know exists, and small co-operatives in poorer "
          "neighbourhoods may not be known to the people who place large contracts. A directory is a simple way "
          "to close that gap."),

    ("h", "The Torbay pilot: care co-operative development"),
    ("p", "Torbay Council\u2019s pilot focused on developing care co-operatives. A care co-operative is a "
          "care provider owned and run by its members, who may be care workers, the people who receive care "
          "and their families, or both. The network\u2019s account names the focus of the Torbay pilot but "
          "does not describe its activities, the number of co-operatives involved or what resulted."),

    ("h", "The Stevenage pilot: social inclusion"),
    ("p", "Stevenage Borough Council\u2019s pilot focused on social inclusion: widening who takes part in, "
          "and gains from, the local economy. As with Torbay, the network\u2019s account gives the focus "
          "but not the detail of what was done or what it achieved."),

    ("h", "Approaches used across the pilots"),
    ("p", "The network lists the approaches the pilots used, without assigning each one to a particular "
          "council. They were:"),
    ("li", "promoting community wealth building and inclusive-economy initiatives, with particular "
           "attention to building social value into what anchor organisations buy;"),
    ("li", "community mapping;"),
    ("li", "financial support;"),
    ("li", "advice; and"),
    ("li", "awareness-raising."),
    ("p", "Taken together, these cover the main levers a council has over its local economy: what it "
          "and its partners buy, what it knows about local enterprises, the money and advice it can offer, "
          "and its ability to raise the profile of co-operatives with residents and businesses."),

    ("h", "Why this matters for councils"),
    ("p", "Anchor institutions, such as councils, hospitals, colleges and universities, spend large sums "
          "every year and are rooted in their places. Community wealth building asks them to use that "
          "spending, and their land and jobs, to keep wealth circulating locally. The lab\u2019s pilots "
          "show three practical starting points a council can adapt: finding out which co-operatives are "
          "already there, growing co-operatives in a service the council already pays for, and targeting "
          "the people and places left out of local growth."),
    ("p", "The approach also links to the network\u2019s wider work on social value. In 2023 the network "
          "approved a separate Policy Lab, a Social Value Toolkit for Councils, also led by Oxford City "
          "Council. The sources do not say whether the toolkit builds on these pilots."),

    ("h", "Questions for councillors"),
    ("li", "Do we know which co-operatives and community businesses operate in our most deprived areas?"),
    ("li", "Do our procurement teams, and those of our local anchor partners, have that information when "
           "they choose suppliers?"),
    ("li", "Is there a service we already commission, such as care, where a co-operative provider could be "
           "grown locally?"),
    ("li", "What financial support, advice and awareness-raising could we offer to help co-operatives "
           "start and grow?"),

    ("h", "What the sources do not say"),
    ("p", "The network\u2019s account of this Policy Lab reports no figures: not the number of co-operatives "
          "mapped, the anchor institutions that received the directory, the amount of spending redirected, "
          "or the measured results of any pilot. It does not give the date on which the report was "
          "launched, beyond placing it in the year to July 2023. Readers who need those details should go "
          "to the full report or to the councils involved."),

    ("h", "Who to contact"),
    ("p", "Oxford City Council, as lead of the steering group for the Growing an inclusive co-operative "
          "economy Policy Lab. Torbay Council can speak about the care co-operative pilot and Stevenage "
          "Borough Council about the social inclusion pilot."),
]

POLICY_LABS_2019_PROSPECTUS = [
    ("title", "CCIN Policy Labs 2019"),
    ("subtitle", "An overview of the network\u2019s 2019 round of member-led Policy Labs and the five "
                 "projects it funded"),

    ("h", "Small grants, shared answers"),
    ("p", "Policy Labs are how the Co-operative Councils\u2019 Innovation Network (CCIN) turns shared "
          "problems into shared work. Small grants, shared answers: a member council proposes a project, "
          "works on it with other members, and the results are made available to the whole network. In "
          "the 2019 round, a member council could bid for as much as \u00a310,000 to run a Policy Lab."),
    ("p", "The network described the round as open to all ideas, and said the more innovative a proposal, "
          "the better. It gave two examples of the range it had in mind: co-operative approaches to "
          "tackling food poverty at one end, and projects that return communities to the centre of "
          "local decision-making at the other. The purpose in every case was the same: to find co-operative "
          "policy answers to the challenges facing local government."),
    ("p", "The network\u2019s review of August 2018 to July 2019 lists five funded projects, set out "
          "below. The review describes what each set out to do; it does not report their results, and "
          "this overview does not add any."),

    ("h", "1. Co-operative approaches to sustainable food"),
    ("p", "Run in partnership with Sustainable Food Cities, this lab started from three observations: "
          "food is a practical vehicle for co-operative action and enterprise; there was room to deepen "
          "understanding of co-operative approaches to sustainable food; and eight CCIN members had "
          "described their food work, on enterprise, poverty, health, growing and education, at the CCIN "
          "Annual Conference. The plan had four parts: at least four interactive workshops across the "
          "combined CCIN and Sustainable Food Cities network of more than 70 areas; videos and other "
          "materials showing local practice, such as Plymouth\u2019s CATERed programme, Oldham\u2019s Get "
          "Oldham Growing programme, Cardiff\u2019s work on food poverty and healthy food, and the Greenwich "
          "Community Development Agency; a single policy tool bringing findings and case studies together; "
          "and presentations at two leading national conferences. The review does not name a lead council."),

    ("h", "2. Co-operative Neighbourhoods"),
    ("p", "Led by Stevenage Borough Council, this lab proposed trailblazer pilots in particular "
          "neighbourhoods or localities. The aim was to show the value of co-operative councils developing "
          "their ways of working at a very local level, with residents acting as co-producers of their own "
          "communities and neighbourhoods."),

    ("h", "3. Co-operatives Unleashed"),
    ("p", "Led by Plymouth City Council, this lab was an enquiry into how councils could take a "
          "strategic part in helping the co-operative economy grow to twice its size by the close of the "
          "next parliament. It promised a detailed case study and toolkit, and a summary of the national and "
          "international context with key questions for councils to ask at each stage of developing their "
          "own local thinking and solutions."),

    ("h", "4. Promoting the Cities of Service model of social action"),
    ("p", "Also led by Plymouth City Council, this lab set out to promote Cities of Service, a model the "
          "review sums up as people helping people. It joins the strategic overview and leadership of local "
          "government with the skills, knowledge and energy of residents, aimed at the most pressing "
          "challenges in a given area. The model rests on four defining features: leadership, clear "
          "objectives, purposeful action and impact."),

    ("h", "5. Achieving social outcomes"),
    ("p", "This lab aimed to raise awareness and understanding of social value across local government and "
          "to get the most social benefit from council decisions. Its argument was that social value should "
          "be part of the mainstream of local government, because public money can produce substantial "
          "social value without extra cost, and often at lower cost with more sustainable services. It set "
          "itself a clear test of success: social value becoming mainstream, with councils weighing the "
          "longer-term social effects on their communities when looking for savings, instead of taking "
          "short-term decisions. The review does not name a lead council."),

    ("h", "Reading the round as a whole"),
    ("p", "The five projects cover a wide spread of co-operative council practice: food, neighbourhood "
          "working, the co-operative economy, social action and social value. Two were led by the same "
          "council, Plymouth City Council, and two have no lead named in the source. All five follow the "
          "member-led model, in which the council with the idea does the work on behalf of the network."),
    ("p", "The network\u2019s Strategy and Action Plan for 2018 to 2020 signalled that the next round would "
          "move into new territory, with Policy Labs on health and social care planned for 2020."),

    ("h", "What the sources do not say"),
    ("p", "The review does not give the amount each project received, their timetables, the partner "
          "councils involved beyond those named above, or any results. Councils wanting to learn from a "
          "particular lab should contact its lead council, or the network where no lead is named."),

    ("h", "Who to contact"),
    ("p", "Stevenage Borough Council for Co-operative Neighbourhoods; Plymouth City Council for "
          "Co-operatives Unleashed and for Cities of Service; the Co-operative Councils\u2019 Innovation "
          "Network for the sustainable food lab, run with Sustainable Food Cities, and for Achieving "
          "Social Outcomes."),
]

DOCUMENTS = [
    ("2023/growing-an-inclusive-co-operative-economy.pdf",
     "Growing an Inclusive Co-operative Economy",
     "Growing an Inclusive Co-operative Economy (CCIN Policy Lab report summary)",
     GROWING_AN_INCLUSIVE_CO_OPERATIVE_ECONOMY),
    ("2019/policy-labs-2019-prospectus.pdf",
     "CCIN Policy Labs 2019",
     "CCIN Policy Labs 2019",
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
