"""drills next: the drill you most need, chosen from your history, and why."""
from __future__ import annotations

import click

from drills.commands._common import context_option, json_option, open_store


def ranked_drills(store, now):
    """The coach's ranking for this store's history at `now`."""
    from drills import catalog, coach
    scenarios = catalog.discover()
    infos = coach.catalog_info(scenarios)
    history = coach.practices_from_log(store.practice_log(), infos, now)
    return coach.rank(infos, history, now, coach.variant_renderer(scenarios))


@click.command("next")
@click.option("--start", "start_it", is_flag=True, help="Start it at once, as 'drills start' does.")
@click.option("--watch", is_flag=True, help="With --start: stop the clock the moment the fix works.")
@context_option
@json_option
def command(start_it: bool, watch: bool, context_flag: str | None, as_json: bool) -> int:
    """Pick the drill you most need next, and say why."""
    from drills.errors import UsageError
    from drills.store import utcnow
    if as_json and start_it:
        raise UsageError("--json and --start do not go together",
                         "print the choice with --json, or start it with --start")
    if watch and not start_it:
        raise UsageError("--watch needs --start", "run 'drills next --start --watch'")
    store = open_store()
    ranked = ranked_drills(store, utcnow())
    if not ranked:
        raise UsageError("the catalog has no scenario to practise", "run 'drills list'")
    best, then = ranked[0], ranked[1:4]
    running = [d.namespace for d in store.open_drills() if not d.solved_at]
    if as_json:
        from drills.ui import print_json
        print_json({**best.to_dict(), "then": [s.to_dict() for s in then], "running": running})
        return 0

    from drills.ui import assemble, out, print_command
    level = f" (level {best.level})" if best.level else ""
    out.print(assemble("Next: ", (best.scenario, "bold"), level))
    out.print(assemble("Why: ", best.reason))
    if then:
        out.print(assemble("Then: " + ", ".join(s.scenario + (f" ({s.level})" if s.level else "")
                                                for s in then)))
    if running:
        out.print(assemble(f"Still running: {', '.join(running)} (see 'drills status')"))
    if not start_it:
        out.print("Start it with:")
        print_command(" ".join(best.command))
        return 0
    from drills.commands.start import command as start_command
    return click.get_current_context().invoke(
        start_command, scenario_id=best.scenario, seed=best.seed, level=best.level, watch=watch,
        context_flag=context_flag)
