"""A class kubeconfig of several contexts that all point at one live cluster (two learners
sharing one), for the live e2e test and bench_class.py. No fake: the cluster and user
entries are the real ones of the chosen context."""
from __future__ import annotations

from pathlib import Path

import yaml

from drills.cluster.session import kubeconfig_paths


def contexts_sharing(path: Path, context: str, names: list[str]) -> Path:
    merged: dict[str, list] = {"clusters": [], "users": [], "contexts": []}
    for source in kubeconfig_paths():
        if source.is_file():
            data = yaml.safe_load(source.read_text()) or {}
            for key in merged:
                merged[key] += data.get(key) or []
    entry = next(c for c in merged["contexts"] if c["name"] == context)["context"]
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": merged["clusters"],
                                    "users": merged["users"],
                                    "contexts": [{"name": n, "context": entry} for n in names]}))
    return path
