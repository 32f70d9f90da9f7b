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
# GSS prefix -> (nation, types allowed)
PREFIX = {"E06": ("england", {"unitary"}), "E07": ("england", {"district"}),
          "E08": ("england", {"metropolitan"}), "E09": ("england", {"london-borough"}),
          "E10": ("england", {"county"}), "E47": ("england", {"combined-authority"}),
          "W06": ("wales", {"welsh-council"}), "S12": ("scotland", {"scottish-council"}),
          "N09": ("northern-ireland", {"northern-ireland-council"})}
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
    """Fold a name the way the tagger does: case, punctuation and noise words."""
    t = str(text).lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    t = re.sub(r"[^a-z0-9\u00c0-\u024f]+", " ", t)
    t = re.sub(r"\bborough of\b|\bcouncil\b", " ", t)
    return " ".join(t.split())


def check(councils):
    errors, warnings = [], []
    by_id = {}
    for c in councils:
        cid = c.get("id")
        if not isinstance(cid, str) or not SLUG.match(cid):
            errors.append(f"bad id: {cid!r}")
        if cid in by_id:
            errors.append(f"duplicate id: {cid}")
        by_id[cid] = c
        for key in ("name", "place", "nation", "type"):
            if not c.get(key):
                errors.append(f"{cid}: missing {key}")
        if c.get("nation") not in NATIONS:
            errors.append(f"{cid}: bad nation {c.get('nation')!r}")
        if c.get("type") not in TYPES:
            errors.append(f"{cid}: bad type {c.get('type')!r}")
        if c.get("nation") == "england" and c.get("region") not in REGIONS:
            errors.append(f"{cid}: bad or missing region {c.get('region')!r}")
        if c.get("nation") != "england" and "region" in c:
            errors.append(f"{cid}: region given outside England")
        if not isinstance(c.get("aliases", []), list):
            errors.append(f"{cid}: aliases must be a list")
        if ("successor" in c) != ("abolished" in c):
            errors.append(f"{cid}: successor and abolished go together")
        gss = c.get("gss")
        if gss is None:
            continue
        if not GSS.match(str(gss)):
            errors.append(f"{cid}: malformed gss {gss!r}")
        elif gss in SUI_GENERIS:
            if c.get("type") != "sui-generis":
                errors.append(f"{cid}: {gss} should be type sui-generis")
        elif gss[:3] not in PREFIX:
            errors.append(f"{cid}: unexpected gss prefix {gss}")
        elif (c.get("nation"), c.get("type")) not in {(PREFIX[gss[:3]][0], t) for t in PREFIX[gss[:3]][1]}:
            errors.append(f"{cid}: gss {gss} does not fit {c.get('nation')}/{c.get('type')}")
    for sg in SUI_GENERIS:
        if not any(c.get("gss") == sg for c in councils):
            errors.append(f"no council carries {sg}")
    for gss, n in Counter(c["gss"] for c in councils if "gss" in c).items():
        if n > 1:
            errors.append(f"duplicate gss: {gss}")
    for c in councils:
        cid = c.get("id")
        for p in c.get("predecessors", []) or []:
            if p not in by_id:
                errors.append(f"{cid}: unknown predecessor {p}")
            elif "successor" not in by_id[p]:
                errors.append(f"{cid}: predecessor {p} is not marked abolished")
        s = c.get("successor")
        if s is not None:
            if s not in by_id:
                errors.append(f"{cid}: unknown successor {s}")
            elif cid not in (by_id[s].get("predecessors") or []):
                errors.append(f"{cid}: successor {s} does not list it as a predecessor")
    for rid in REQUIRED:
        if rid not in by_id:
            errors.append(f"required id missing: {rid}")
    names = defaultdict(set)  # folded name/alias -> ids
    for c in councils:
        for n in [c.get("name")] + list(c.get("aliases") or []):
            names[norm(n)].add(c.get("id"))
    for key, ids in names.items():
        if len(ids) > 1:
            errors.append(f"name/alias {key!r} shared by {sorted(ids)}")
    for c in councils:
        other = names.get(norm(c.get("place", "")), set()) - {c.get("id")}
        if other:
            warnings.append(f"place {c['place']!r} of {c['id']} is also a name of {sorted(other)}")
    return errors, warnings


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "councils.yaml"
    councils = yaml.safe_load(path.read_text(encoding="utf-8"))["councils"]
    errors, warnings = check(councils)
    current = [c for c in councils if "abolished" not in c]
    print(f"{len(councils)} entries ({len(current)} current, {len(councils) - len(current)} abolished)")
    for nation in sorted(NATIONS):
        counts = Counter(c["type"] for c in current if c.get("nation") == nation)
        print(f"  {nation}: {sum(counts.values())} current -", ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))
    print("  abolished by type:", dict(Counter(c["type"] for c in councils if "abolished" in c)))
    with_gss = sum(1 for c in councils if "gss" in c)
    print(f"  gss: {with_gss} with, {len(councils) - with_gss} without:",
          ", ".join(c["id"] for c in councils if "gss" not in c))
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
