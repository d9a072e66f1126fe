"""Connecting to exactly the context the user chose, never the current one."""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from drills.config import DEFAULT_CONTEXT
from drills.errors import ClusterUnreachable, NoCluster


@dataclass
class Session:
    """One connection to one context. `api` is what drills.cluster uses (a
    KubeApi, or a fake in tests); core/apps/discovery are the official typed
    clients for callers that want them."""
    context: str
    kubeconfig: str
    api: Any
    version: dict | None = None
    explicit: bool = True
    configuration: Any = None
    _typed: dict[str, Any] = field(default_factory=dict, repr=False)

    def _typed_client(self, name: str) -> Any:
        if name not in self._typed:
            from kubernetes import client
            if "api_client" not in self._typed:
                self._typed["api_client"] = client.ApiClient(self.configuration)
            factory = {"core": client.CoreV1Api, "apps": client.AppsV1Api,
                       "discovery": client.DiscoveryV1Api}[name]
            self._typed[name] = factory(self._typed["api_client"])
        return self._typed[name]

    @property
    def core(self) -> Any:
        return self._typed_client("core")

    @property
    def apps(self) -> Any:
        return self._typed_client("apps")

    @property
    def discovery(self) -> Any:
        return self._typed_client("discovery")


def kubeconfig_paths() -> list[Path]:
    """The files kubectl would read: $KUBECONFIG's list, else ~/.kube/config."""
    env = os.environ.get("KUBECONFIG", "")
    paths = [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    return paths or [Path("~/.kube/config").expanduser()]


def kubeconfig_documents(paths: list[Path]) -> Iterator[tuple[Path, dict]]:
    """Each existing kubeconfig file, parsed; a broken one is one NoCluster line."""
    for path in paths:
        if not path.is_file():
            continue
        fix = "fix or move that file; see 'kubectl config view'"
        try:
            data = yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
        except UnicodeDecodeError:
            raise NoCluster(f"kubeconfig {path} is not UTF-8 text", fix) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise NoCluster(f"kubeconfig {path} is not valid YAML{where}", fix) from None
        except (OSError, RecursionError) as exc:
            raise NoCluster(f"kubeconfig {path} cannot be read ({type(exc).__name__})", fix) from None
        if not isinstance(data, dict) or not isinstance(data.get("contexts") or [], list):
            raise NoCluster(f"kubeconfig {path} is not a kubeconfig (expected a mapping with a "
                            "list of contexts)", fix)
        yield path, data


def _named(data: dict, section: str) -> Iterator[dict]:
    entries = data.get(section) or []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            yield entry


def kubeconfig_contexts(paths: list[Path]) -> list[str]:
    names: list[str] = []
    for _, data in kubeconfig_documents(paths):
        for entry in _named(data, "contexts"):
            if entry["name"] not in names:
                names.append(entry["name"])
    return names


def exec_plugin_of(paths: list[Path], context: str) -> str | None:
    """The exec credential plugin command line of the context's user, as kubectl
    merges kubeconfig files (the first file naming a context or user wins)."""
    import shlex

    documents = [data for _, data in kubeconfig_documents(paths)]
    user = next((entry.get("context", {}).get("user") for data in documents
                 for entry in _named(data, "contexts")
                 if entry["name"] == context and isinstance(entry.get("context"), dict)), None)
    found = next((entry for data in documents for entry in _named(data, "users")
                  if entry["name"] == user), {})
    plugin = found.get("user", {}).get("exec") if isinstance(found.get("user"), dict) else None
    if not isinstance(plugin, dict) or not isinstance(plugin.get("command"), str):
        return None
    args = plugin.get("args") if isinstance(plugin.get("args"), list) else []
    return shlex.join([plugin["command"], *(str(a) for a in args)])[:200]


# --- exec credential plugins, bounded in time ----------------------------------------

EXEC_PLUGIN_TIMEOUT_ENV = "DRILLS_EXEC_PLUGIN_TIMEOUT"
EXEC_PLUGIN_TIMEOUT_S = 30.0
_TIMED_OUT = "exec plugin did not finish within"


def exec_plugin_timeout() -> float:
    """Seconds an exec credential plugin may take (DRILLS_EXEC_PLUGIN_TIMEOUT)."""
    from drills.errors import SettingsError

    raw = os.environ.get(EXEC_PLUGIN_TIMEOUT_ENV, "").strip()
    if not raw:
        return EXEC_PLUGIN_TIMEOUT_S
    try:
        value = float(raw)
        if not 0 < value <= 3600:
            raise ValueError(raw)
    except ValueError:
        raise SettingsError(f"{EXEC_PLUGIN_TIMEOUT_ENV} {raw[:40]!r} is not a number of seconds "
                            "from 0 to 3600", f"unset it, or set e.g. {EXEC_PLUGIN_TIMEOUT_ENV}=30")
    return value


class _PluginTimedOut(Exception):
    pass


def _bounded_popen() -> type:
    import signal
    import subprocess
    import sys

    class BoundedPopen(subprocess.Popen):
        """The kubernetes client waits for an exec plugin without a time limit;
        this Popen gives its communicate() one and then stops the plugin. A plugin
        that cannot prompt on a terminal gets its own process group, so whatever
        it started is stopped with it."""

        def __init__(self, args: Any, **kwargs: Any):
            interactive = kwargs.get("stdin") is not None or (sys.stdin is not None and sys.stdin.isatty())
            self._own_group = not interactive
            if self._own_group:
                kwargs["process_group"] = 0
            super().__init__(args, **kwargs)

        def communicate(self, input: Any = None, timeout: float | None = None) -> Any:
            limit = exec_plugin_timeout() if timeout is None else timeout
            try:
                return super().communicate(input, timeout=limit)
            except subprocess.TimeoutExpired:
                try:
                    if self._own_group:
                        os.killpg(self.pid, signal.SIGKILL)
                    else:
                        self.kill()
                except OSError:
                    pass
                for stream in (self.stdout, self.stderr):
                    if stream is not None:
                        stream.close()      # a child it left behind may hold the pipe open
                self.wait(timeout=5)
                raise _PluginTimedOut(f"{_TIMED_OUT} {limit:g} s") from None

    return BoundedPopen


def bound_exec_plugins() -> None:
    """Route the kubernetes client's exec plugin runs through BoundedPopen (once)."""
    import subprocess
    import types

    from kubernetes.config import exec_provider

    if getattr(exec_provider.subprocess, "drills_bounded", False):
        return
    bounded = types.ModuleType("subprocess")
    bounded.__dict__.update(subprocess.__dict__)
    bounded.Popen = _bounded_popen()
    bounded.drills_bounded = True
    exec_provider.subprocess = bounded


def plugin_failure(context: str, paths: list[Path], cause: str) -> ClusterUnreachable:
    """One line naming the context, the plugin and what to do about it."""
    try:
        plugin = exec_plugin_of(paths, context) or "(see the kubeconfig)"
    except NoCluster:
        plugin = "(see the kubeconfig)"
    check = f"kubectl config view --minify --context {context}"
    if cause.startswith(_TIMED_OUT):
        seconds = cause[len(_TIMED_OUT):].strip()
        return ClusterUnreachable(
            f"context {context}: its exec credential plugin {plugin} did not finish within {seconds}",
            f"run it yourself to see what it waits for (a login, a network); if it needs longer, "
            f"set {EXEC_PLUGIN_TIMEOUT_ENV}=SECONDS")
    return ClusterUnreachable(
        f"context {context}: its exec credential plugin {plugin} failed ({cause})",
        f"run it yourself: it must print an ExecCredential as JSON; check the entry with: {check}")


@contextlib.contextmanager
def captured_client_logs() -> Iterator[list[str]]:
    """The kubernetes client reports a failing exec credential plugin with
    logging.error on the root logger, which would print a stray 'ERROR:root:' line;
    catch those records so drills can say it in its own one line."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    root = logging.getLogger()
    handler = Keep(logging.WARNING)
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


def missing_context_hint(context: str) -> str:
    return "drills cluster up" if context == DEFAULT_CONTEXT else "kubectl config get-contexts"


def connect(context: str, explicit: bool, *, timeout: float = 10.0) -> Session:
    paths = kubeconfig_paths()
    where = os.pathsep.join(str(p) for p in paths)
    if not any(p.is_file() for p in paths):
        source = "KUBECONFIG" if os.environ.get("KUBECONFIG", "").strip() else "the default"
        raise NoCluster(f"kubeconfig file {where} ({source}) does not exist",
                        "point KUBECONFIG at your kubeconfig" if context != DEFAULT_CONTEXT
                        else "drills cluster up")
    contexts = kubeconfig_contexts(paths)
    if context not in contexts:
        chosen = "chosen with --context or DRILLS_CONTEXT" if explicit else "drills' own kind cluster"
        raise NoCluster(f"context {context} ({chosen}) is not in kubeconfig {where}",
                        missing_context_hint(context))
    from kubernetes import client, config

    from drills.cluster.api import ApiError, KubeApi, as_drills_error

    configuration = client.Configuration()
    check = f"check it with: kubectl config view --minify --context {context}"
    exec_plugin_timeout()            # a bad setting is its own error, before any plugin runs
    bound_exec_plugins()
    try:
        with captured_client_logs() as logged:
            config.load_kube_config(config_file=where, context=context,
                                    client_configuration=configuration, persist_config=False)
    except Exception as exc:  # bad entries, exec plugins failing, unreadable cert files
        cause = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ClusterUnreachable(f"context {context}: its kubeconfig entry cannot be used ({cause})",
                                 check) from None
    if logged:
        raise plugin_failure(context, paths, " ".join(logged[0].split())[:300])
    api = KubeApi(configuration, context)
    try:
        version = api.version(timeout=timeout)
    except ApiError as exc:
        raise as_drills_error(exc, context) from None
    return Session(context=context, kubeconfig=where, api=api, version=version,
                   explicit=explicit, configuration=configuration)
