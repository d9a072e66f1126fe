"""drills doctor: everything drills needs, each problem with its one-line fix."""
from __future__ import annotations

import click

from drills.commands._common import context_option, json_option


@click.command("doctor")
@context_option
@json_option
def command(context_flag: str | None, as_json: bool) -> int:
    """Check Docker, kind, kubectl, the context, API access, RBAC and the image."""
    from drills.cluster import doctor
    from drills.config import chosen_context
    from drills.errors import ExitCode
    context, explicit = chosen_context(context_flag)
    items = doctor(context, explicit)
    if as_json:
        from drills.ui import print_json
        print_json(items)
    else:
        from drills.ui import out
        marks = {True: "[green]ok[/]", False: "[red]problem[/]", None: "[yellow]skipped[/]"}
        for item in items:
            line = f"{marks[item['ok']]:>18}  {item['name']}: {item['detail']}"
            if item["ok"] is False and item.get("fix"):
                line += f"  [bold]fix:[/] {item['fix']}"
            out.print(line)
    return ExitCode.NO_CLUSTER if any(i["ok"] is False for i in items) else ExitCode.OK
