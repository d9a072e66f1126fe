"""drills hint: reveal the next hint of the active drill (recorded)."""
from __future__ import annotations

import click

from drills.commands._common import context_option, drill_plan, open_store, pick_drill


@click.command("hint")
@click.argument("drill", required=False)
@context_option
def command(drill: str | None, context_flag: str | None) -> int:
    """Show the next hint; each one is recorded with the attempt."""
    from drills.config import chosen_context
    from drills.ui import out, print_advice
    store = open_store()
    record = pick_drill(store, chosen_context(context_flag)[0], drill)
    hints = drill_plan(record).hints
    index = store.reveal_hint(record.id, len(hints))   # reveal and record in one transaction
    if index is None:
        out.print(f"All {len(hints)} hints are shown; 'drills solution' shows the reference solution.")
        return 0
    print_advice(f"Hint {index + 1} of {len(hints)}:", hints[index])
    if index == len(hints) - 1:
        out.print("That was the last hint; 'drills solution' shows the reference solution.")
    return 0
