"""A class kubeconfig of several contexts that all point at one live cluster (two learners
sharing one), for the live e2e test and bench_class.py. No fake: the cluster and user
entries are the real ones of the chosen context."""
from __future__ import annotations

from pathlib import Path

import yaml

from drills.cluster.session import kubeconfig_paths


# file fields a kubeconfig resolves against its own folder (client-go's ResolvePaths)
PATH_FIELDS = {"cluster": ("certificate-authority",),
               "user": ("client-certificate", "client-key", "tokenFile")}


def absolute_paths(entries: list, kind: str, folder: Path) -> list:
    """Copies of kubeconfig `clusters`/`users` entries whose relative file paths (and a relative
    exec plugin command) point where they did in the kubeconfig they came from."""
    out = []
    for entry in entries:
        entry = {**entry, kind: dict(entry.get(kind) or {})}
        body = entry[kind]
        for field in PATH_FIELDS[kind]:
            if body.get(field) and not Path(body[field]).is_absolute():
                body[field] = str(folder / body[field])
        plugin = body.get("exec")
        if isinstance(plugin, dict) and "/" in str(plugin.get("command", "")) \
                and not Path(plugin["command"]).is_absolute():
            body["exec"] = {**plugin, "command": str(folder / plugin["command"])}
        out.append(entry)
    return out


def contexts_sharing(path: Path, context: str, names: list[str]) -> Path:
    merged: dict[str, list] = {"clusters": [], "users": [], "contexts": []}
    for source in kubeconfig_paths():
        if source.is_file():
            data = yaml.safe_load(source.read_text()) or {}
            folder = source.resolve().parent
            merged["clusters"] += absolute_paths(data.get("clusters") or [], "cluster", folder)
            merged["users"] += absolute_paths(data.get("users") or [], "user", folder)
            merged["contexts"] += data.get("contexts") or []
    entry = next(c for c in merged["contexts"] if c["name"] == context)["context"]
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": merged["clusters"],
                                    "users": merged["users"],
                                    "contexts": [{"name": n, "context": entry} for n in names]}))
    return path
