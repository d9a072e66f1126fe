"""drills show: what a scenario practises (never its solution)."""
from __future__ import annotations

import click

from drills.commands._common import json_option


@click.command("show")
@click.argument("scenario_id", metavar="SCENARIO")
@json_option
def command(scenario_id: str, as_json: bool) -> int:
    """Describe a scenario: what it teaches, target time, hints available."""
    from drills import catalog
    s = catalog.get(scenario_id)
    m = s.meta
    info = {"id": s.id, "title": m["title"], "teaches": " ".join(m["teaches"].split()),
            "group": m["group"], "difficulty": m["difficulty"],
            "target_minutes": m["target_minutes"], "exam_weight": m["exam_weight"],
            "tags": m["tags"], "hints": len(m["hints"]), "levels": list(m.get("levels") or {}),
            "variants": s.variant_count(), "checks": [c.get("as", c["id"]) for c in m["checks"]]}
    if as_json:
        from drills.ui import print_json
        print_json(info)
        return 0
    from drills.ui import assemble, human_count, out, plain
    out.print(assemble((info["id"], "bold"), ": ", info["title"]))
    out.print(plain(info["teaches"]))
    lines = [[("Group", info["group"])],
             [("Difficulty", info["difficulty"]), ("Target", f"{info['target_minutes']:g} min"),
              ("Exam weight", str(info["exam_weight"]))],
             [("Tags", ", ".join(info["tags"]))],
             [("Hints", f"{info['hints']} (reveal one at a time with 'drills hint')")],
             [("Levels", ", ".join(info["levels"]))],
             [("Graded by", ", ".join(info["checks"]))],
             [("Variants", f"about {human_count(info['variants'])}")]]
    for fields in lines:
        parts = [part for i, (label, value) in enumerate(fields) if value
                 for part in (("   " if i else ""), (f"{label}:", "bold"), " ", value)]
        if parts:
            out.print(assemble(*parts))
    out.print("Try:")
    from drills.ui import print_command
    print_command(f"drills render {s.id} --seed 1")
    return 0
