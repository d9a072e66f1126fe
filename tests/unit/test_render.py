import copy

import pytest

from drills import catalog, manifests
from drills.errors import BadScenarioPack, UsageError
from drills.render import namespace_for, reflow, render
from tests.unit.test_catalog import make_pack


@pytest.fixture
def exemplar():
    return catalog.get("selector-mismatch")


def test_same_seed_same_plan(exemplar):
    a, b = render(exemplar, 99), render(exemplar, 99)
    assert a.manifests_yaml() == b.manifests_yaml()
    assert a.task == b.task and a.checks == b.checks


def test_namespace_and_image(exemplar, monkeypatch):
    plan = render(exemplar, 5)
    assert plan.namespace == "drill-selector-mismatch-5" == namespace_for("selector-mismatch", 5)
    monkeypatch.setenv("DRILLS_IMAGE", "registry.local/busybox:1.36")
    plan = render(exemplar, 5)
    images = {c["image"] for o in plan.manifests if o["kind"] == "Deployment"
              for c in o["spec"]["template"]["spec"]["containers"]}
    assert images == {"registry.local/busybox:1.36"}


def test_single_expression_keeps_type(exemplar):
    plan = render(exemplar, 1)
    svc_exists = next(c for c in plan.checks if c.id == "service.exists")
    assert isinstance(svc_exists.args["port"], int)


def test_bad_namespace_rejected(exemplar):
    with pytest.raises(UsageError, match="not a valid namespace"):  # the user's flag, not the pack
        render(exemplar, 1, namespace="Not_Valid")


def test_unknown_level_is_usage_error(exemplar):
    with pytest.raises(UsageError, match="no level"):
        render(exemplar, 1, level="hard")


def test_undefined_template_variable_is_bad_pack(tmp_path, monkeypatch):
    pack = make_pack(tmp_path)
    (pack / "my-drill" / "templates" / "service.yaml.j2").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ no_such_param }}\n")
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    with pytest.raises(BadScenarioPack, match="no_such_param"):
        render(catalog.get("my-drill"), 1)


def test_levels_override_params(tmp_path, monkeypatch):
    pack = make_pack(tmp_path, edit=lambda m: m.update(levels={"big": {"replicas": 5}}))
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    plan = render(catalog.get("my-drill"), 1, level="big")
    deploy = next(o for o in plan.manifests if o["kind"] == "Deployment")
    assert deploy["spec"]["replicas"] == 5 and plan.level == "big"
    assert plan.namespace == "drill-my-drill-big-1" != render(catalog.get("my-drill"), 1).namespace


def test_a_fix_with_when_exists_only_where_its_expression_holds(exemplar):
    value, key = (render(exemplar, seed) for seed in (1, 3))
    assert (value.params["fault"], key.params["fault"]) == ("value", "key")
    assert "apply-file" in value.fixes and "apply-keeps-mistyped-key" not in value.fixes
    assert "apply-keeps-mistyped-key" in key.fixes and "apply-file" not in key.fixes
    assert "reference" in value.fixes and "reference" in key.fixes      # no `when`: always there


@pytest.mark.parametrize("when, message", [
    ("no_such_param == 1", "no_such_param"),
    ("fault ==", "fixes.relabel-pods.when"),
    ("().__class__.__base__.__subclasses__()", "fixes.relabel-pods.when"),
])
def test_a_broken_when_is_a_pack_error_naming_the_field(tmp_path, monkeypatch, when, message):
    pack = make_pack(tmp_path, edit=lambda m: m["fixes"]["relabel-pods"].update(when=when))
    monkeypatch.setenv("DRILLS_SCENARIO_PATH", str(pack))
    with pytest.raises(BadScenarioPack, match=message.replace(".", r"\.")) as caught:
        render(catalog.get("my-drill"), 1)
    assert "\n" not in caught.value.one_line()


def test_reflow_joins_prose_keeps_lists():
    text = "one line\ncontinues here\n\n- item a\n- item b\n  indented\nnext para"
    assert reflow(text) == "one line continues here\n\n- item a\n- item b\n  indented\nnext para"


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}


@pytest.mark.parametrize("mutate, message", [
    (lambda o: o.update(kind="Ingres"), "not a kind drills deploys"),
    (lambda o: o["metadata"].update(name="Web"), "not a valid Service name"),
    (lambda o: o["metadata"].update(namespace="kube-system"), "not one of the drill's"),
    (lambda o: o["spec"]["ports"][0].update(port=70000), "not a port in 1-65535"),
    (lambda o: o["spec"]["ports"][0].update(targetPort="Http_Port"), "not a valid port name"),
    (lambda o: o["spec"].update(type="NodePort") or o["spec"]["ports"][0].update(nodePort=40000),
     "not a port in 30000-32767"),
    (lambda o: o["spec"]["ports"][0].update(nodePort=30080), "nodePort on a ClusterIP"),
    (lambda o: o["spec"].update(selector={"app": "-web"}), "not a valid label value"),
    (lambda o: o["spec"].update(selector={"bad key!": "web"}), "not a valid label key"),
])
def test_manifest_rules(mutate, message):
    obj = copy.deepcopy(SERVICE)
    mutate(obj)
    with pytest.raises(manifests.ManifestError, match=message):
        manifests.validate([obj], {"drill-x-1"}, "busybox:1.36")


def test_manifest_rules_accept_good_service_and_single_image(exemplar):
    manifests.validate([SERVICE], {"drill-x-1"}, "busybox:1.36")
    deploy = next(o for o in render(exemplar, 1).manifests if o["kind"] == "Deployment")
    with pytest.raises(manifests.ManifestError, match="one configured image"):
        manifests.validate([deploy], {"drill-x-1"}, "nginx:latest")


def test_settings_file_and_environment_precedence(monkeypatch, isolated_home):
    from drills.config import DEFAULT_CONTEXT, chosen_context, default_image
    from drills.errors import UsageError
    assert default_image() == "busybox:1.36" and chosen_context() == (DEFAULT_CONTEXT, False)
    (isolated_home / "config.yaml").write_text("image: mirror.local/busybox:1.36\ncontext: lab\n")
    assert default_image() == "mirror.local/busybox:1.36"
    assert chosen_context() == ("lab", True)
    monkeypatch.setenv("DRILLS_IMAGE", "env/busybox:1.36")
    monkeypatch.setenv("DRILLS_CONTEXT", "env-ctx")
    assert default_image() == "env/busybox:1.36" and chosen_context() == ("env-ctx", True)
    assert chosen_context("flag-ctx") == ("flag-ctx", True)
    (isolated_home / "config.yaml").write_text("- not a mapping\n")
    monkeypatch.delenv("DRILLS_IMAGE")
    with pytest.raises(UsageError, match="must be a mapping"):
        default_image()
