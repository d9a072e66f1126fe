"""drills new: scaffold a scenario folder that renders at once."""
from __future__ import annotations

import re
from pathlib import Path

import click

SCAFFOLD = Path(__file__).resolve().parents[1] / "scaffold"
ID_RULE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


def default_root() -> Path:
    """The built-in scenarios folder, but only in a source checkout (never an installed package)."""
    from drills import catalog
    from drills.errors import UsageError
    root = catalog.builtin_root()
    if not (root.parent / "pyproject.toml").is_file():
        raise UsageError(f"{root} is an installed package, not a source checkout",
                         "scaffold into a pack instead: drills new ID --into DIR")
    return root


def scaffold(scenario_id: str, into: Path) -> Path:
    from drills import catalog
    from drills.errors import DrillsError, UsageError
    if not ID_RULE.match(scenario_id) or "--" in scenario_id:
        raise UsageError(f"{scenario_id!r} is not a scenario id",
                         "use 3-40 lowercase letters, digits and single '-', starting with a letter")
    folder = into / scenario_id
    if folder.exists():
        raise UsageError(f"{folder} already exists", "choose another id or remove that folder")
    try:
        taken = scenario_id in catalog.discover()
    except DrillsError:   # a broken pack elsewhere must not keep an author from scaffolding
        taken = False
    if taken:
        raise UsageError(f"scenario {scenario_id} already exists", "choose another id")
    for source in sorted(SCAFFOLD.rglob("*.tmpl")):
        target = folder / source.relative_to(SCAFFOLD).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text().replace("$id", scenario_id))
    return folder


@click.command("new")
@click.argument("scenario_id", metavar="ID")
@click.option("--into", type=click.Path(file_okay=False, path_type=Path),
              help="Pack folder to create the scenario in (default: scenarios/ of this checkout).")
def command(scenario_id: str, into: Path | None) -> int:
    """Scaffold a scenario folder (scenario.yaml + one template) that renders at once."""
    folder = scaffold(scenario_id, into if into is not None else default_root())
    click.echo(f"created {folder}: edit scenario.yaml and templates/, then\n"
               f"  drills render {scenario_id} --seed 1"
               + (f"   (with DRILLS_SCENARIO_PATH={folder.parent})" if into is not None else "") + "\n"
               f"  python -m pytest tests/scenarios/scenarios.fairness   names the recordings it needs\n"
               f"  pytest -m cluster --record DIR                        records them on a live cluster")
    return 0
