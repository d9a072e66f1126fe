"""drills doctor: everything drills needs, each problem with its one-line fix."""
from __future__ import annotations

import click

from drills.commands._common import context_option, json_option


@click.command("doctor")
@context_option
@json_option
def command(context_flag: str | None, as_json: bool) -> int:
    """Check Docker, kind, kubectl, the context, API access, RBAC and the image."""
    from drills.cluster.doctor import doctor
    from drills.config import chosen_context
    from drills.errors import ExitCode
    context, explicit = chosen_context(context_flag)
    items = doctor(context, explicit)
    if as_json:
        from drills.ui import print_json
        print_json(items)
    else:
        from rich.table import Table

        from rich.text import Text

        from drills.ui import assemble, out, plain
        marks = {True: Text("ok", "green"), False: Text("problem", "red"), None: Text("skipped", "yellow")}
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for item in items:
            detail = plain(item["detail"], overflow="fold")
            if item["ok"] is False and item.get("fix"):
                detail.append("\n").append_text(assemble(("fix:", "bold"), " ", item["fix"]))
            table.add_row(marks[item["ok"]], plain(item["name"]), detail)
        out.print(table)
    return ExitCode.NO_CLUSTER if any(i["ok"] is False for i in items) else ExitCode.OK
