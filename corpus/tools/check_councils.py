"""Check corpus/councils.yaml, the council register.

Run: .venv/bin/python corpus/tools/check_councils.py [path]
Exits non-zero on any error; prints counts by nation and type.
"""
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

NATIONS = {"england", "wales", "scotland", "northern-ireland"}
REGIONS = {"north-east", "north-west", "yorkshire-and-the-humber", "east-midlands",
           "west-midlands", "east-of-england", "london", "south-east", "south-west"}
TYPES = {"unitary", "district", "metropolitan", "london-borough", "county", "welsh-council",
         "scottish-council", "northern-ireland-council", "combined-authority",
         "town-council", "parish-council", "community-council", "sui-generis"}
PREFIX = {"E06": ("england", "unitary"), "E07": ("england", "district"),   # GSS prefix ->
          "E08": ("england", "metropolitan"), "E09": ("england", "london-borough"),  # (nation, type)
          "E10": ("england", "county"), "E47": ("england", "combined-authority"),
          "W06": ("wales", "welsh-council"), "S12": ("scotland", "scottish-council"),
          "N09": ("northern-ireland", "northern-ireland-council")}
SUI_GENERIS = {"E09000001", "E06000053"}  # City of London, Isles of Scilly
REQUIRED = """bassetlaw cardiff croydon edinburgh glasgow islington knowsley lambeth liverpool
newcastle-under-lyme newcastle-upon-tyne norwich oldham plymouth rochdale salford sandwell
southampton stevenage sunderland telford-and-wrekin york south-tyneside hillingdon
north-warwickshire staffordshire gloucestershire bristol cheshire-west-and-chester kirklees
trafford oxford greenwich inverclyde brent birmingham lichfield north-hertfordshire torbay
manchester coventry dundee leeds burntwood-town-council halewood-town-council
greater-manchester-combined-authority""".split()
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
GSS = re.compile(r"^[ENSW]\d{8}$")


def norm(text):
    """Fold a name as the tagger does: case, punctuation, the noise words."""
    t = str(text).lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    t = re.sub(r"\bborough of\b|\bcouncil\b", " ", re.sub(r"[^a-z0-9\u00c0-\u024f]+", " ", t))
    return " ".join(t.split())


def check(councils):
    errors, warnings, by_id = [], [], {}
    for c in councils:
        cid, gss, nation, ctype = c.get("id"), c.get("gss"), c.get("nation"), c.get("type")
        if not isinstance(cid, str) or not SLUG.match(cid):
            errors.append(f"bad id: {cid!r}")
        if cid in by_id:
            errors.append(f"duplicate id: {cid}")
        by_id[cid] = c
        errors += [f"{cid}: missing {k}" for k in ("name", "place") if not c.get(k)]
        if nation not in NATIONS or ctype not in TYPES:
            errors.append(f"{cid}: bad nation/type {nation!r}/{ctype!r}")
        if (nation == "england") != (c.get("region") in REGIONS):
            errors.append(f"{cid}: region {c.get('region')!r} wrong for {nation}")
        if not isinstance(c.get("aliases", []), list):
            errors.append(f"{cid}: aliases must be a list")
        if ("successor" in c) != ("abolished" in c):
            errors.append(f"{cid}: successor and abolished go together")
        if gss is None:
            continue
        if not GSS.match(str(gss)):
            errors.append(f"{cid}: malformed gss {gss!r}")
        elif gss in SUI_GENERIS or ctype == "sui-generis":
            if gss not in SUI_GENERIS or ctype != "sui-generis":
                errors.append(f"{cid}: sui-generis is only {sorted(SUI_GENERIS)}")
        elif PREFIX.get(gss[:3]) != (nation, ctype):
            errors.append(f"{cid}: gss {gss} does not fit {nation}/{ctype}")
    errors += [f"no council carries {g}" for g in SUI_GENERIS
               if not any(c.get("gss") == g for c in councils)]
    errors += [f"duplicate gss: {g}" for g, n in Counter(
        c["gss"] for c in councils if "gss" in c).items() if n > 1]
    for c in councils:
        cid, succ = c.get("id"), c.get("successor")
        for p in c.get("predecessors") or []:
            if "successor" not in by_id.get(p, {}):
                errors.append(f"{cid}: predecessor {p} unknown or not marked abolished")
        if succ is not None and cid not in (by_id.get(succ, {}).get("predecessors") or []):
            errors.append(f"{cid}: successor {succ} unknown or does not list it")
    errors += [f"required id missing: {r}" for r in REQUIRED if r not in by_id]
    names = defaultdict(set)  # folded name or alias -> ids
    for c in councils:
        for n in [c.get("name")] + list(c.get("aliases") or []):
            names[norm(n)].add(c.get("id"))
    errors += [f"name/alias {k!r} shared by {sorted(v)}" for k, v in names.items() if len(v) > 1]
    for c in councils:
        other = names.get(norm(c.get("place", "")), set()) - {c.get("id")}
        if other:
            warnings.append(f"place {c['place']!r} of {c['id']} is a name of {sorted(other)}")
    return errors, warnings


def main():
    here = Path(__file__).resolve().parents[1] / "councils.yaml"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else here
    councils = yaml.safe_load(path.read_text(encoding="utf-8"))["councils"]
    errors, warnings = check(councils)
    current = [c for c in councils if "abolished" not in c]
    print(f"{len(councils)} entries: {len(current)} current, {len(councils) - len(current)} abolished")
    for nation in sorted(NATIONS):
        n = Counter(c["type"] for c in current if c.get("nation") == nation)
        print(f"  {nation} {sum(n.values())}:", ", ".join(f"{t} {k}" for t, k in sorted(n.items())))
    gone = Counter(c["type"] for c in councils if "abolished" in c)
    print("  abolished:", ", ".join(f"{t} {k}" for t, k in sorted(gone.items())))
    missing = [c["id"] for c in councils if "gss" not in c]
    print(f"  gss: {len(councils) - len(missing)} with, {len(missing)} without:", ", ".join(missing))
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
