"""drills cluster up|down|status: the local kind cluster 'drills'."""
from __future__ import annotations

import click

from drills.commands._common import json_option


@click.group("cluster")
def command() -> None:
    """Create, inspect or delete the local kind cluster 'drills'."""


@command.command("up")
def up() -> int:
    """Create the kind cluster (1 control plane, 2 workers) and preload the drill image."""
    from drills.cluster import cluster_up
    from drills.ui import err, out
    with err.status("creating the kind cluster 'drills'") as spinner:
        cluster_up(progress=spinner.update)
    out.print("Cluster 'drills' is ready (context kind-drills). Next: drills start selector-mismatch")
    return 0


@command.command("down")
def down() -> int:
    """Delete the kind cluster 'drills' and everything in it."""
    from drills.cluster import cluster_down
    from drills.ui import err, out
    with err.status("deleting the kind cluster 'drills'"):
        cluster_down()
    out.print("Cluster 'drills' deleted.")
    return 0


@command.command("status")
@json_option
def status(as_json: bool) -> int:
    """Whether the kind cluster exists, and its nodes."""
    from drills.cluster import cluster_status
    info = cluster_status()
    if as_json:
        from drills.ui import print_json
        print_json(info)
    else:
        from drills.ui import out
        for key, value in info.items():
            out.print(f"{key}: {value}")
    return 0
