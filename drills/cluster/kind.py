"""drills' own kind cluster: find or fetch kind, create/delete the cluster, preload the image.

Everything here goes through the `kind` CLI and the Docker SDK; nothing
imports the Kubernetes client.
"""
from __future__ import annotations

import hashlib
import os
import platform
import shutil
import stat
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from drills.config import KIND_CLUSTER_NAME, default_image, home
from drills.errors import NoCluster, UsageError
from drills.private import private_folder

KIND_VERSION = "v0.32.0"
KIND_BASE_URL = "https://github.com/kubernetes-sigs/kind/releases/download"
# sha256 of each kind v0.32.0 release binary, as kind publishes them in
# <asset>.sha256sum. A download is installed only when it matches its pin, whatever
# the mirror's own checksum file says; a platform without a pin is refused.
# Provenance: these values were not fetched from github.com here (no network); they are
# the sums quoted identically by many independent public projects that pin kind v0.32.0
# and name the .sha256sum files as their source. Re-check them against
# https://github.com/kubernetes-sigs/kind/releases/tag/v0.32.0 when bumping KIND_VERSION.
KIND_SHA256 = {
    "kind-linux-amd64": "50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54",
    "kind-linux-arm64": "b92cd615e97585de8ddade28ed5cd7feb4248d717c233eea5b03c37298900f5d",
    "kind-darwin-amd64": "295ac6d0d634c9819c9907df45e3017d1f13166bd13c3404c45e79f7faa47498",
    "kind-darwin-arm64": "dca67911095a110c2b5c36e26df6cac860c602033e456c0db47be498cdef1ebb",
}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
KIND_INSTALL = "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
DOCKER_FIX = "start Docker (or install it: https://docs.docker.com/get-docker/); kind runs the nodes as containers"
CONTEXT = f"kind-{KIND_CLUSTER_NAME}"
CREATE_TIMEOUT_S = 600
DOWNLOAD_TIMEOUT_S = 60


def config_text() -> str:
    return resources.files("drills.cluster").joinpath("kind-config.yaml").read_text()


# --- the kind binary ------------------------------------------------------------

def kind_asset(system: str | None = None, machine: str | None = None) -> str:
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if system not in ("linux", "darwin", "windows") or arch is None:
        raise NoCluster(f"no kind release for {system}/{machine}", KIND_INSTALL)
    return f"kind-{system}-{arch}"


def cached_kind() -> Path:
    return home() / "bin" / ("kind.exe" if platform.system() == "Windows" else "kind")


def find_kind() -> str | None:
    """kind on PATH, else the one drills fetched before if it is still the pinned
    release; never downloads."""
    on_path = shutil.which("kind")
    if on_path:
        return on_path
    cached = cached_kind()
    if not (cached.is_file() and os.access(cached, os.X_OK)):
        return None
    pin = KIND_SHA256.get(_asset_or_none() or "")
    return str(cached) if pin and _sha256_of(cached) == pin else None


def _asset_or_none() -> str | None:
    try:
        return kind_asset()
    except NoCluster:
        return None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_base_url(base: str) -> None:
    """https anywhere; plain http only to this machine (a local mirror, the tests)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(base)
        host = (parts.hostname or "").lower()
    except ValueError:
        parts, host = None, ""
    if parts is not None and host and (parts.scheme == "https"
                                       or (parts.scheme == "http" and host in LOOPBACK_HOSTS)):
        return
    raise UsageError(f"DRILLS_KIND_BASE_URL {base!r} is neither https:// nor http:// to this "
                     "machine (127.0.0.1, ::1, localhost)", "use an https:// mirror, or unset it")


def ensure_kind(progress: Callable[[str], None] = lambda phase: None) -> str:
    found = find_kind()
    if found:
        return found
    base = os.environ.get("DRILLS_KIND_BASE_URL") or KIND_BASE_URL
    check_base_url(base)
    progress(f"downloading kind {KIND_VERSION}")
    return download_kind(base, KIND_VERSION, kind_asset(), cached_kind())


def _fetch(url: str) -> bytes:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as answer:
            return answer.read()
    except urllib.error.HTTPError as exc:
        raise NoCluster(f"kind is not installed, and {url} answered {exc.code} {exc.reason}",
                        KIND_INSTALL) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise NoCluster(f"kind is not installed and could not be downloaded from {url} ({reason})",
                        KIND_INSTALL) from None


def download_kind(base_url: str, version: str, asset: str, dest: Path) -> str:
    """Fetch a kind release binary, install it only if it is the pinned one."""
    url = f"{base_url.rstrip('/')}/{version}/{asset}"
    pin = KIND_SHA256.get(asset) if version == KIND_VERSION else None
    if pin is None:
        raise NoCluster(f"kind is not installed, and drills has no pinned sha256 for {asset} "
                        f"{version}, so it will not download it", KIND_INSTALL)
    binary = _fetch(url)
    actual = hashlib.sha256(binary).hexdigest()
    if actual != pin:
        raise NoCluster(f"the kind binary from {url} is not the pinned kind {version} "
                        f"(sha256 {actual[:12]}..., pinned {pin[:12]}...); it was discarded",
                        KIND_INSTALL)
    private_folder(dest.parent)
    partial = dest.with_name(dest.name + ".download")
    partial.write_bytes(binary)
    partial.chmod(0o700)
    os.replace(partial, dest)
    return str(dest)


# --- docker -----------------------------------------------------------------------

def docker_client() -> Any:
    try:
        import docker
    except ImportError:
        raise NoCluster("the docker Python package is missing", "pip install docker") from None
    try:
        client = docker.from_env(timeout=15)
        client.ping()
        return client
    except Exception as exc:  # DockerException and the connection errors beneath it
        raise NoCluster(f"Docker is not running or not reachable ({docker_cause(exc)})", DOCKER_FIX
                        ) from None


def docker_cause(exc: BaseException) -> str:
    """Why Docker did not answer, in words rather than the repr of nested exceptions."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop()
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    kinds = [type(e) for e in seen]
    if any(issubclass(k, FileNotFoundError) for k in kinds):
        return f"no Docker socket at {host}"
    if any(issubclass(k, PermissionError) for k in kinds):
        return f"permission denied on {host}; is your user in the docker group?"
    if any(issubclass(k, ConnectionRefusedError) for k in kinds):
        return f"nothing answers at {host}"
    if any(issubclass(k, TimeoutError) or "Timeout" in k.__name__ for k in kinds):
        return f"{host} did not answer in time"
    return f"{type(exc).__name__} at {host}"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


# --- the cluster ------------------------------------------------------------------------

def _kind(argv: list[str], what: str, timeout: float = 120) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise NoCluster(f"{argv[0]} cannot be run", KIND_INSTALL) from None
    except subprocess.TimeoutExpired:
        raise NoCluster(f"{what} did not finish within {timeout:g} s",
                        "check Docker's health, then try again") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise NoCluster(f"{what} failed: {lines[-1] if lines else f'exit code {done.returncode}'}",
                        f"run '{' '.join(argv[:4])} ...' yourself to see all of its output; is "
                        "Docker running with enough memory?")
    return done.stdout


def clusters(kind: str) -> list[str]:
    return [line.strip() for line in _kind([kind, "get", "clusters"], "kind get clusters").splitlines()
            if line.strip()]


def cluster_up(progress: Callable[[str], None] = lambda phase: None) -> None:
    docker = docker_client()   # first: without Docker, fetching kind would not help
    kind = ensure_kind(progress)
    if KIND_CLUSTER_NAME in clusters(kind):
        progress(f"kind cluster {KIND_CLUSTER_NAME} exists")
    else:
        progress(f"creating kind cluster {KIND_CLUSTER_NAME} (about a minute)")
        with resources.as_file(resources.files("drills.cluster").joinpath("kind-config.yaml")) as cfg:
            _kind([kind, "create", "cluster", "--name", KIND_CLUSTER_NAME, "--config", str(cfg),
                   "--wait", "120s"], "kind create cluster", timeout=CREATE_TIMEOUT_S)
    preload_image(kind, docker, default_image(), progress)


def preload_image(kind: str, docker: Any, image: str,
                  progress: Callable[[str], None] = lambda phase: None) -> None:
    """Put the drills image into every node, so drills start fast and offline."""
    from docker.errors import DockerException, ImageNotFound

    try:
        docker.images.get(image)
    except ImageNotFound:
        progress(f"pulling {image}")
        try:
            docker.images.pull(image)
        except DockerException as exc:
            raise NoCluster(f"image {image} is not in Docker and cannot be pulled ({_short(exc)})",
                            f"connect to the internet once (or 'docker load' {image}), then run "
                            "'drills cluster up' again") from None
    progress(f"loading {image} into the nodes")
    try:
        _kind([kind, "load", "docker-image", image, "--name", KIND_CLUSTER_NAME],
              "kind load docker-image", timeout=300)
    except NoCluster as exc:
        if "content digest" not in exc.message:
            raise
        # Docker's containerd image store exports every platform of a multi-platform
        # image while holding only one, and kind's import then misses content
        # (kind issue 3795): load a single-platform archive instead.
        load_single_platform(kind, image, progress)


def load_single_platform(kind: str, image: str,
                         progress: Callable[[str], None] = lambda phase: None) -> None:
    import tempfile

    platform_name = "linux/" + kind_asset().rsplit("-", 1)[1]
    by_hand = (f"docker image save --platform {platform_name} -o image.tar {image} && "
               f"kind load image-archive image.tar --name {KIND_CLUSTER_NAME}")
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise NoCluster(f"kind could not load the multi-platform image {image}, and the docker "
                        "CLI needed to export one platform of it is missing", f"run: {by_hand}")
    progress(f"loading {image} ({platform_name} only) into the nodes")
    with tempfile.TemporaryDirectory(prefix="drills-image-") as tmp:
        archive = str(Path(tmp) / "image.tar")
        _kind([docker_cli, "image", "save", "--platform", platform_name, "-o", archive, image],
              "docker image save", timeout=300)
        _kind([kind, "load", "image-archive", archive, "--name", KIND_CLUSTER_NAME],
              "kind load image-archive", timeout=300)


def cluster_down() -> None:
    kind = find_kind()
    if kind is None:
        raise NoCluster("kind is not installed, so drills has no kind cluster to delete", KIND_INSTALL)
    _kind([kind, "delete", "cluster", "--name", KIND_CLUSTER_NAME], "kind delete cluster",
          timeout=300)


def cluster_status() -> dict[str, Any]:
    """What exists, without changing anything; problems go into `problems`."""
    from drills.cluster.session import kubeconfig_contexts, kubeconfig_paths

    status: dict[str, Any] = {"name": KIND_CLUSTER_NAME, "context": CONTEXT, "kind": find_kind(),
                              "docker": False, "exists": False, "nodes": [],
                              "context_present": False, "problems": []}
    try:
        status["context_present"] = CONTEXT in kubeconfig_contexts(kubeconfig_paths())
    except NoCluster as exc:
        status["problems"].append(exc.one_line())
    try:
        docker_client()
        status["docker"] = True
    except NoCluster as exc:
        status["problems"].append(exc.one_line())
    if status["kind"] is None:
        status["problems"].append(f"kind is not installed ('drills cluster up' fetches it, or {KIND_INSTALL})")
    elif status["docker"]:
        try:
            status["exists"] = KIND_CLUSTER_NAME in clusters(status["kind"])
            if status["exists"]:
                out = _kind([status["kind"], "get", "nodes", "--name", KIND_CLUSTER_NAME],
                            "kind get nodes")
                status["nodes"] = sorted(line.strip() for line in out.splitlines() if line.strip())
        except NoCluster as exc:
            status["problems"].append(exc.one_line())
    return status
