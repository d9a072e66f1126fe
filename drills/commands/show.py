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
    from drills.ui import out
    out.print(f"[bold]{info['id']}[/]: {info['title']}")
    out.print(info["teaches"])
    out.print(f"Group: {info['group']}   Difficulty: {info['difficulty']}   "
              f"Target: {info['target_minutes']:g} min   Exam weight: {info['exam_weight']}")
    out.print(f"Tags: {', '.join(info['tags'])}")
    out.print(f"Hints: {info['hints']} (reveal one at a time with 'drills hint')")
    if info["levels"]:
        out.print(f"Levels: {', '.join(info['levels'])}")
    out.print(f"Graded by: {', '.join(info['checks'])}")
    out.print(f"Variants: about {info['variants']:,}. Try: drills render {s.id} --seed 1")
    return 0
