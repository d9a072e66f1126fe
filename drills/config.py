"""Settings from the environment, with the defaults a learner on a laptop wants.

| variable            | default                        | meaning                                  |
|---------------------|--------------------------------|------------------------------------------|
| DRILLS_IMAGE        | busybox:1.36                   | the one image of workloads and probes    |
| DRILLS_CONTEXT      | kind-drills                    | kubeconfig context drills may deploy to  |
| DRILLS_HOME         | the user's data dir (XDG)      | history database and cached tools        |
| DRILLS_SCENARIO_PATH| (none)                         | extra scenario packs                     |

`image` and `context` can also be set in DRILLS_HOME/config.yaml; the
environment wins over the file.
"""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_IMAGE = "busybox:1.36"
KIND_CLUSTER_NAME = "drills"
DEFAULT_CONTEXT = f"kind-{KIND_CLUSTER_NAME}"


def file_setting(key: str) -> str | None:
    """A value from DRILLS_HOME/config.yaml, read only when a verb needs it."""
    path = home() / "config.yaml"
    if not path.is_file():
        return None
    import yaml

    from drills.errors import UsageError
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"settings file {path} cannot be read ({exc})",
                         "fix or delete it") from exc
    if not isinstance(data, dict):
        raise UsageError(f"settings file {path} must be a mapping such as 'image: busybox:1.36'",
                         "fix or delete it")
    value = data.get(key)
    return str(value) if value is not None else None


def default_image() -> str:
    return os.environ.get("DRILLS_IMAGE") or file_setting("image") or DEFAULT_IMAGE


def chosen_context(flag: str | None = None) -> tuple[str, bool]:
    """The context to use and whether the user named it explicitly.

    drills never falls back to the kubeconfig's current context: without a
    flag or DRILLS_CONTEXT it targets the kind cluster it manages itself.
    """
    if flag:
        return flag, True
    named = os.environ.get("DRILLS_CONTEXT") or file_setting("context")
    if named:
        return named, True
    return DEFAULT_CONTEXT, False


def home() -> Path:
    override = os.environ.get("DRILLS_HOME")
    if override:
        try:
            return Path(override).expanduser()
        except RuntimeError:     # '~someone' for a user this machine does not know
            from drills.errors import UsageError
            raise UsageError(f"DRILLS_HOME {override!r} names the home folder of an unknown user",
                             "set DRILLS_HOME to an existing folder path") from None
    from platformdirs import user_data_dir
    return Path(user_data_dir("drills", appauthor=False))
