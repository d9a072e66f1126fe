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


def kubeconfig_contexts(paths: list[Path]) -> list[str]:
    names: list[str] = []
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
        for entry in data.get("contexts") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str) \
                    and entry["name"] not in names:
                names.append(entry["name"])
    return names


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
    try:
        with captured_client_logs() as logged:
            config.load_kube_config(config_file=where, context=context,
                                    client_configuration=configuration, persist_config=False)
    except Exception as exc:  # bad entries, exec plugins failing, unreadable cert files
        cause = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ClusterUnreachable(f"context {context}: its kubeconfig entry cannot be used ({cause})",
                                 check) from None
    if logged:
        cause = " ".join(logged[0].split())[:300]
        raise ClusterUnreachable(f"context {context}: its exec credential plugin failed ({cause})",
                                 check)
    api = KubeApi(configuration, context)
    try:
        version = api.version(timeout=timeout)
    except ApiError as exc:
        raise as_drills_error(exc, context) from None
    return Session(context=context, kubeconfig=where, api=api, version=version,
                   explicit=explicit, configuration=configuration)
