"""kind: finding or fetching a checksum-verified binary, the cluster config, and
cluster up/down/status driven through a stand-in kind CLI and Docker."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from drills.cluster import kind as K
from drills.errors import NoCluster, UsageError

REPO = Path(__file__).resolve().parents[3]
FAKE_KIND = b"#!/bin/sh\necho 'kind v0.32.0 go1.24 linux/amd64'\n"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def release_server(tmp_path):
    """A local mirror of the kind release layout: <base>/<version>/<asset>[.sha256sum]."""
    root = tmp_path / "mirror"
    folder = root / K.KIND_VERSION
    folder.mkdir(parents=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()

    def publish(binary: bytes, checksum: str | None = None):
        asset = K.kind_asset()
        (folder / asset).write_bytes(binary)
        digest = checksum or hashlib.sha256(binary).hexdigest()
        (folder / f"{asset}.sha256sum").write_text(f"{digest}  {asset}\n")
    yield f"http://127.0.0.1:{httpd.server_address[1]}", publish
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def no_kind_on_path(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_kind_on_path_wins(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "kind").write_bytes(FAKE_KIND)
    (bindir / "kind").chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", "http://127.0.0.1:9/never-asked")
    assert K.ensure_kind() == str(bindir / "kind")


@pytest.fixture
def pinned(monkeypatch):
    """Pin FAKE_KIND as this platform's kind release (the real pins are kind's own sums)."""
    monkeypatch.setitem(K.KIND_SHA256, K.kind_asset(), hashlib.sha256(FAKE_KIND).hexdigest())


def test_download_installs_the_pinned_binary(release_server, no_kind_on_path, monkeypatch, pinned):
    base, publish = release_server
    publish(FAKE_KIND)
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", base)
    phases = []
    path = Path(K.ensure_kind(phases.append))
    assert path == K.cached_kind()
    assert path.read_bytes() == FAKE_KIND
    assert os.access(path, os.X_OK)
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o700, 0o700)
    assert phases == [f"downloading kind {K.KIND_VERSION}"]
    # next time the cache is used, without asking the server
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", "http://127.0.0.1:9/never-asked")
    assert K.ensure_kind() == str(path)


def test_a_binary_whose_published_sum_matches_but_not_the_pin_is_refused(
        release_server, no_kind_on_path, monkeypatch, pinned):
    """A mirror serving any binary with its own matching .sha256sum installs nothing."""
    base, publish = release_server
    evil = b"#!/bin/sh\ntouch /tmp/pwned\n"
    publish(evil)                                  # its .sha256sum matches it
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", base)
    with pytest.raises(NoCluster) as caught:
        K.ensure_kind()
    assert "pinned" in caught.value.message and "\n" not in caught.value.one_line()
    assert caught.value.hint == K.KIND_INSTALL
    folder = K.cached_kind().parent
    assert not folder.exists() or list(folder.iterdir()) == []     # no partial file either


def test_a_cached_binary_that_is_not_the_pinned_one_is_not_used(tmp_path, no_kind_on_path, pinned):
    cached = K.cached_kind()
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"#!/bin/sh\necho planted\n")
    cached.chmod(0o755)
    assert K.find_kind() is None


def test_a_platform_without_a_pin_refuses_the_download(release_server, no_kind_on_path,
                                                        monkeypatch):
    base, publish = release_server
    publish(FAKE_KIND)
    monkeypatch.delitem(K.KIND_SHA256, K.kind_asset())
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", base)
    with pytest.raises(NoCluster) as caught:
        K.ensure_kind()
    assert "no pinned sha256" in caught.value.message
    assert not K.cached_kind().exists()


def test_every_supported_platform_has_a_pin():
    assert set(K.KIND_SHA256) == {"kind-linux-amd64", "kind-linux-arm64",
                                  "kind-darwin-amd64", "kind-darwin-arm64"}
    assert all(len(v) == 64 and set(v) <= set("0123456789abcdef") for v in K.KIND_SHA256.values())
    assert len(set(K.KIND_SHA256.values())) == 4


@pytest.mark.parametrize("base", ["http://example.com/kind", "http://10.0.0.1:8080",
                                  "ftp://127.0.0.1/x", "file:///tmp/kind", "127.0.0.1:8000"])
def test_plain_http_is_refused_except_to_loopback(base, no_kind_on_path, monkeypatch, pinned):
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", base)
    asked = []
    monkeypatch.setattr(K, "_fetch", lambda url: asked.append(url) or b"")
    with pytest.raises(UsageError) as caught:
        K.ensure_kind()
    assert "DRILLS_KIND_BASE_URL" in caught.value.message and asked == []


@pytest.mark.parametrize("base", ["https://mirror.example/kind", "http://127.0.0.1:8000",
                                  "http://localhost:1", "http://[::1]:8000/x"])
def test_https_and_loopback_http_are_allowed(base):
    K.check_base_url(base)


def test_a_missing_release_says_how_to_install(release_server, no_kind_on_path, monkeypatch):
    base, _ = release_server                      # nothing published: 404
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", base)
    with pytest.raises(NoCluster) as caught:
        K.ensure_kind()
    assert "404" in caught.value.message
    assert caught.value.hint == ("install kind: "
                                 "https://kind.sigs.k8s.io/docs/user/quick-start/#installation")


def test_offline_says_how_to_install(no_kind_on_path, monkeypatch):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv("DRILLS_KIND_BASE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(NoCluster) as caught:
        K.ensure_kind()
    assert "could not be downloaded" in caught.value.message
    assert caught.value.hint == K.KIND_INSTALL


@pytest.mark.parametrize("system,machine,asset", [
    ("Linux", "x86_64", "kind-linux-amd64"), ("Linux", "aarch64", "kind-linux-arm64"),
    ("Darwin", "arm64", "kind-darwin-arm64"), ("Windows", "AMD64", "kind-windows-amd64"),
])
def test_release_asset_for_each_platform(system, machine, asset):
    assert K.kind_asset(system, machine) == asset


def test_unsupported_platform_points_to_the_install_guide():
    with pytest.raises(NoCluster) as caught:
        K.kind_asset("Plan9", "mips")
    assert caught.value.hint == K.KIND_INSTALL


# --- the cluster config -----------------------------------------------------------

def test_kind_config_has_one_control_plane_two_workers_and_nodeports():
    config = yaml.safe_load(K.config_text())
    assert config["kind"] == "Cluster" and config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    roles = [n["role"] for n in config["nodes"]]
    assert roles == ["control-plane", "worker", "worker"]
    mappings = config["nodes"][0]["extraPortMappings"]
    assert [m["containerPort"] for m in mappings] == [30080, 30081, 30082]
    assert all(m["hostPort"] == m["containerPort"] and m["listenAddress"] == "127.0.0.1"
               for m in mappings)


def test_root_kind_config_is_a_relative_link_to_the_packaged_one():
    link = REPO / "kind-config.yaml"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert link.resolve() == (REPO / "drills" / "cluster" / "kind-config.yaml").resolve()
    assert "cluster/kind-config.yaml" in (REPO / "pyproject.toml").read_text()


# --- cluster up / down / status through stand-ins ---------------------------------------

class FakeImages:
    def __init__(self, present: bool, pull_error: Exception | None = None):
        self.present, self.pull_error, self.pulled = present, pull_error, []

    def get(self, image):
        from docker.errors import ImageNotFound
        if not self.present:
            raise ImageNotFound(f"No such image: {image}")

    def pull(self, image):
        if self.pull_error:
            raise self.pull_error
        self.pulled.append(image)


class FakeDocker:
    def __init__(self, images):
        self.images = images


@pytest.fixture
def fake_kind(tmp_path, monkeypatch):
    """A kind CLI on PATH that logs its arguments; `kind get clusters` lists $KIND_CLUSTERS."""
    bindir = tmp_path / "kindbin"
    bindir.mkdir()
    log = tmp_path / "kind.log"
    script = bindir / "kind"
    script.write_text(
        "#!/bin/sh\n"
        f"echo \"$*\" >> {log}\n"
        "if [ \"$1 $2\" = 'get clusters' ]; then printf '%s' \"$KIND_CLUSTERS\"; fi\n"
        "if [ \"$1 $2\" = 'get nodes' ]; then printf 'drills-control-plane\\ndrills-worker\\n'; fi\n"
        "if [ \"$1\" = create ]; then shift 5; cp \"$1\" " + str(tmp_path / "used-config.yaml") +
        "; fi\n"
        # as kind fails with Docker's containerd image store and a multi-platform image
        "if [ \"$1 $2\" = 'load docker-image' ] && [ -n \"$KIND_LOAD_FAILS\" ]; then\n"
        "  echo 'Command Output: ctr: content digest sha256:b1ad: not found' >&2; exit 1; fi\n"
        "if [ \"$1 $2\" = 'load image-archive' ]; then test -s \"$3\" || exit 3; fi\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KIND_CLUSTERS", "")
    return lambda: log.read_text().splitlines() if log.exists() else []


def test_cluster_up_creates_the_cluster_and_preloads_the_image(fake_kind, monkeypatch, tmp_path):
    images = FakeImages(present=False)
    monkeypatch.setattr(K, "docker_client", lambda: FakeDocker(images))
    phases = []
    K.cluster_up(phases.append)
    calls = fake_kind()
    assert calls[0] == "get clusters"
    assert calls[1].startswith("create cluster --name drills --config ")
    assert calls[1].endswith("--wait 120s")
    assert (tmp_path / "used-config.yaml").read_text() == K.config_text()
    assert calls[2] == "load docker-image busybox:1.36 --name drills"
    assert images.pulled == ["busybox:1.36"]
    assert phases == ["creating kind cluster drills (about a minute)", "pulling busybox:1.36",
                      "loading busybox:1.36 into the nodes"]


def test_cluster_up_reuses_an_existing_cluster_and_image(fake_kind, monkeypatch):
    monkeypatch.setenv("KIND_CLUSTERS", "other\ndrills\n")
    monkeypatch.setenv("DRILLS_IMAGE", "busybox:1.36.1")
    images = FakeImages(present=True)
    monkeypatch.setattr(K, "docker_client", lambda: FakeDocker(images))
    K.cluster_up()
    assert fake_kind() == ["get clusters", "load docker-image busybox:1.36.1 --name drills"]
    assert images.pulled == []


def test_multi_platform_image_trouble_falls_back_to_one_platform(fake_kind, monkeypatch, tmp_path):
    monkeypatch.setenv("KIND_CLUSTERS", "drills\n")
    monkeypatch.setenv("KIND_LOAD_FAILS", "1")
    docker_log = tmp_path / "docker.log"
    docker_cli = tmp_path / "kindbin" / "docker"
    docker_cli.write_text(f"#!/bin/sh\necho \"$*\" >> {docker_log}\n"
                          "while [ $# -gt 0 ]; do [ \"$1\" = -o ] && echo tar > \"$2\"; shift; done\n")
    docker_cli.chmod(0o755)
    monkeypatch.setattr(K, "docker_client", lambda: FakeDocker(FakeImages(present=True)))
    K.cluster_up()
    arch = K.kind_asset().rsplit("-", 1)[1]
    [save] = docker_log.read_text().splitlines()
    assert save.startswith(f"image save --platform linux/{arch} -o ") and save.endswith(" busybox:1.36")
    assert fake_kind()[-1].startswith("load image-archive ") and fake_kind()[-1].endswith(" --name drills")


def test_other_load_failures_are_not_retried(fake_kind, monkeypatch):
    monkeypatch.setenv("KIND_CLUSTERS", "drills\n")
    monkeypatch.setattr(K, "docker_client", lambda: FakeDocker(FakeImages(present=True)))
    monkeypatch.setattr(K, "_kind", lambda argv, what, timeout=0: (_ for _ in ()).throw(
        NoCluster(f"{what} failed: no nodes found for cluster", "x")) if "load" in argv else "drills\n")
    with pytest.raises(NoCluster, match="no nodes found"):
        K.cluster_up()


def test_offline_without_the_image_says_what_to_do(fake_kind, monkeypatch):
    from docker.errors import APIError
    monkeypatch.setenv("KIND_CLUSTERS", "drills\n")
    images = FakeImages(present=False, pull_error=APIError("dial tcp: lookup registry-1.docker.io"))
    monkeypatch.setattr(K, "docker_client", lambda: FakeDocker(images))
    with pytest.raises(NoCluster) as caught:
        K.cluster_up()
    assert "busybox:1.36 is not in Docker and cannot be pulled" in caught.value.message
    assert "drills cluster up" in caught.value.hint
    assert not any(c.startswith("load") for c in fake_kind())


def test_docker_not_running_is_no_cluster_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(NoCluster) as caught:
        K.docker_client()
    assert caught.value.hint == K.DOCKER_FIX


def test_cluster_down_deletes_drills_cluster(fake_kind):
    K.cluster_down()
    assert fake_kind() == ["delete cluster --name drills"]


def test_cluster_down_without_kind(no_kind_on_path):
    with pytest.raises(NoCluster):
        K.cluster_down()


def test_status_reports_problems_without_raising(no_kind_on_path, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    status = K.cluster_status()
    assert status["exists"] is False and status["docker"] is False and status["kind"] is None
    assert status["context"] == "kind-drills" and status["context_present"] is False
    assert any("Docker" in p for p in status["problems"])
    assert any("kind is not installed" in p for p in status["problems"])
    json.dumps(status)


def test_status_of_a_running_cluster(fake_kind, monkeypatch, tmp_path):
    from tests.unit.cluster.apiserver import write_kubeconfig
    monkeypatch.setenv("KIND_CLUSTERS", "drills\n")
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "c", {
        "kind-drills": "https://127.0.0.1:6443"})))
    monkeypatch.setattr(K, "docker_client", lambda: FakeDocker(FakeImages(True)))
    status = K.cluster_status()
    assert status["exists"] and status["context_present"] and status["problems"] == []
    assert status["nodes"] == ["drills-control-plane", "drills-worker"]
