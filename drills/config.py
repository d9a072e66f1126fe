"""Settings from the environment, with the defaults a learner on a laptop wants.

| variable            | default                        | meaning                                  |
|---------------------|--------------------------------|------------------------------------------|
| DRILLS_IMAGE        | busybox:1.36                   | the one image of workloads and probes    |
| DRILLS_CONTEXT      | kind-drills                    | kubeconfig context drills may deploy to  |
| DRILLS_HOME         | the user's data dir (XDG)      | history database and cached tools        |
| DRILLS_SCENARIO_PATH| (none)                         | extra scenario packs                     |
"""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_IMAGE = "busybox:1.36"
KIND_CLUSTER_NAME = "drills"
DEFAULT_CONTEXT = f"kind-{KIND_CLUSTER_NAME}"


def default_image() -> str:
    return os.environ.get("DRILLS_IMAGE") or DEFAULT_IMAGE


def chosen_context(flag: str | None = None) -> tuple[str, bool]:
    """The context to use and whether the user named it explicitly.

    drills never falls back to the kubeconfig's current context: without a
    flag or DRILLS_CONTEXT it targets the kind cluster it manages itself.
    """
    if flag:
        return flag, True
    env = os.environ.get("DRILLS_CONTEXT")
    if env:
        return env, True
    return DEFAULT_CONTEXT, False


def home() -> Path:
    override = os.environ.get("DRILLS_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir
    return Path(user_data_dir("drills", appauthor=False))
