"""Issue 9 item 3: bad settings are the user's settings error (exit 2), never a bad pack."""
from __future__ import annotations

import pytest

from drills import catalog
from drills.config import chosen_context, default_image, home
from drills.errors import ExitCode, UsageError
from drills.render import render
from tests.unit.hostile_packs.test_limits import BILLION_LAUGHS


@pytest.mark.parametrize("image", [" ", "\t", "busy box:1", "x\x1b]0;t\x07", "UPPER/Case:1", "a" * 300])
def test_bad_image_variable(monkeypatch, image):
    monkeypatch.setenv("DRILLS_IMAGE", image)
    with pytest.raises(UsageError) as info:
        default_image()
    assert info.value.exit_code == ExitCode.USAGE and "DRILLS_IMAGE" in info.value.one_line()
    assert "\x1b" not in info.value.one_line()


@pytest.mark.parametrize("image", ["busybox:1.36", "registry.local:5000/mirror/busybox:1.36",
                                   "busybox@sha256:" + "a" * 64, "docker.io/library/busybox"])
def test_good_image_references(monkeypatch, image):
    monkeypatch.setenv("DRILLS_IMAGE", image)
    assert default_image() == image


@pytest.mark.parametrize("content, words", [
    (b"image: 42\n", "image"),
    (b"image: [a, b]\n", "image"),
    (b"context: {a: 1}\n", "context"),
    (b"- not a mapping\n", "mapping"),
    (b"just text\n", "mapping"),
    (b"image: \xff\xfe\n", "UTF-8"),
    (b"image: [unclosed\n", "line 2 column"),
    (BILLION_LAUGHS.encode(), "alias"),
    (b"image: ' '\n", "image"),
])
def test_bad_settings_file(isolated_home, content, words):
    (isolated_home / "config.yaml").write_bytes(content)
    with pytest.raises(UsageError) as info:
        default_image()
        chosen_context()
    message = info.value.one_line()
    assert info.value.exit_code == ExitCode.USAGE
    assert "config.yaml" in message and words in message and "\n" not in message, message


def test_home_with_unknown_user(monkeypatch):
    monkeypatch.setenv("DRILLS_HOME", "~nouser-drills-test/x")
    with pytest.raises(UsageError) as info:
        home()
    assert "DRILLS_HOME" in info.value.one_line() and info.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("namespace", ["Bad_NS", "-x", "a" * 64, "x.y"])
def test_bad_namespace_flag_is_usage(namespace):
    with pytest.raises(UsageError) as info:
        render(catalog.get("selector-mismatch"), 1, namespace=namespace)
    assert info.value.exit_code == ExitCode.USAGE and "namespace" in info.value.one_line()
