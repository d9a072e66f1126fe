"""Settings from the environment, with the defaults a learner on a laptop wants.

| variable            | default                        | meaning                                  |
|---------------------|--------------------------------|------------------------------------------|
| DRILLS_IMAGE        | busybox:1.36                   | the one image of workloads and probes    |
| DRILLS_CONTEXT      | kind-drills                    | kubeconfig context drills may deploy to  |
| DRILLS_HOME         | the user's data dir (XDG)      | history database and cached tools        |
| DRILLS_SCENARIO_PATH| (none)                         | extra scenario packs                     |

`image` and `context` can also be set in DRILLS_HOME/config.yaml; the
environment wins over the file. A bad value, wherever it comes from, is a
SettingsError (exit 2) naming the variable or the file and key.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

DEFAULT_IMAGE = "busybox:1.36"
KIND_CLUSTER_NAME = "drills"
DEFAULT_CONTEXT = f"kind-{KIND_CLUSTER_NAME}"
SETTINGS_FILE = "config.yaml"
SETTINGS_KEYS = ("image", "context")

# An image reference as the distribution/reference grammar defines it:
# [registry[:port]/]path[/path...][:tag][@algorithm:digest]
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?"
_PATH = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_PATH}(?:/{_PATH})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$")
MAX_IMAGE_CHARS = 255


def _settings_error(message: str, hint: str):
    from drills.errors import SettingsError
    from drills.untrusted import one_line
    return SettingsError(one_line(message, 400), hint)


def _read_settings_file(path: Path) -> dict:
    from drills.untrusted import MAX_SETTINGS_FILE_BYTES, FileProblem, load_yaml_file
    try:
        data = load_yaml_file(path, MAX_SETTINGS_FILE_BYTES)
    except FileProblem as exc:
        raise _settings_error(f"settings file {path} {exc}", "fix or delete it") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _settings_error(f"settings file {path} must be a mapping such as 'image: busybox:1.36'",
                              "fix or delete it")
    return data


def file_setting(key: str) -> str | None:
    """A value from DRILLS_HOME/config.yaml, read only when a verb needs it."""
    path = home() / SETTINGS_FILE
    if not path.is_file():
        return None
    value = _read_settings_file(path).get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _settings_error(f"settings file {path}: {key} must be text such as "
                              f"'{key}: {DEFAULT_IMAGE if key == 'image' else DEFAULT_CONTEXT}', "
                              f"not {type(value).__name__} {value!r}", f"quote the value of {key}")
    return value


def _checked_image(value: str, source: str) -> str:
    if len(value) > MAX_IMAGE_CHARS or not IMAGE_REFERENCE.match(value):
        raise _settings_error(f"{source} {value!r} is not an image reference such as {DEFAULT_IMAGE}",
                              f"set {source} to an image name[:tag], or unset it")
    return value


def default_image() -> str:
    env = os.environ.get("DRILLS_IMAGE")
    if env:
        return _checked_image(env, "DRILLS_IMAGE")
    from_file = file_setting("image")
    if from_file is not None:
        return _checked_image(from_file, f"settings file {home() / SETTINGS_FILE}: image")
    return DEFAULT_IMAGE


def _checked_context(value: str, source: str) -> str:
    if not value.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise _settings_error(f"{source} {value!r} is not a context name",
                              f"set {source} to a context of your kubeconfig, or unset it")
    return value


def chosen_context(flag: str | None = None) -> tuple[str, bool]:
    """The context to use and whether the user named it explicitly.

    drills never falls back to the kubeconfig's current context: without a
    flag or DRILLS_CONTEXT it targets the kind cluster it manages itself.
    """
    if flag:
        return flag, True
    env = os.environ.get("DRILLS_CONTEXT")
    if env:
        return _checked_context(env, "DRILLS_CONTEXT"), True
    from_file = file_setting("context")
    if from_file is not None:
        return _checked_context(from_file, f"settings file {home() / SETTINGS_FILE}: context"), True
    return DEFAULT_CONTEXT, False


def home() -> Path:
    override = os.environ.get("DRILLS_HOME")
    if override:
        try:
            return Path(override).expanduser()
        except RuntimeError as exc:
            # A settings error (exit 2), not a store error (11): the database was never reached;
            # what is wrong is the value the user wrote, and changing it is the fix.
            raise _settings_error(f"DRILLS_HOME {override!r} names the home of an unknown user",
                                  "set DRILLS_HOME to an existing folder path") from exc
    from platformdirs import user_data_dir
    return Path(user_data_dir("drills", appauthor=False))
