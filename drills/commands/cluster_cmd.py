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
    from drills.ui import err, out, progress_of
    with err.status("creating the kind cluster 'drills'") as spinner:
        cluster_up(progress=progress_of(spinner))
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
        print_cluster_status(info)
    return 0


def print_cluster_status(info: dict) -> None:
    """One line per fact; lists as one item per line, never as a Python repr."""
    from drills.ui import assemble, out, plain
    labels = {"name": "cluster", "context": "context", "kind": "kind binary", "docker": "Docker",
              "exists": "exists", "context_present": "context in kubeconfig", "nodes": "nodes",
              "problems": "problems"}
    width = max(len(label) for label in labels.values()) + 1
    for key in [*labels, *(k for k in info if k not in labels)]:
        if key not in info:
            continue
        value = info[key]
        label = f"{labels.get(key, key)}:".ljust(width)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif value is None:
            value = "not found"
        if isinstance(value, (list, tuple)):
            out.print(assemble((label, "bold"), " ", str(len(value)) if value else "none"))
            for item in value:
                out.print(plain(f"  - {item}" if key != "nodes" else f"  {item}"))
        else:
            out.print(assemble((label, "bold"), " ", str(value)))
