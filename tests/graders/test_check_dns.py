"""dns.resolves on busybox nslookup output recorded from a real cluster."""
import copy

from drills.graders.registry import ERROR, FAIL, PASS, REGISTRY
from drills.probes import parse_nslookup
from tests.fixtures import bundles as B
from tests.graders.kit import bundle, run


def with_lookup(b, case, name, stdout_change=lambda s: s):
    """Put the recorded nslookup of `case` into bundle b under dns:<name>."""
    objects = B.real_objects(case)
    rec = [r for r in B.real_commands(case) if r["command"].startswith("nslookup ")]
    rec = [dict(r, stdout=stdout_change(r["stdout"])) for r in rec if r["command"].split()[1] == name]
    b["probes"].update(B.probes_from_commands(rec, objects))
    return b


def selector_bundle():
    return with_lookup(bundle("selector-mismatch", "broken"), "selector-mismatch-broken", "web")


def test_key_and_namespace():
    probes = REGISTRY["dns.resolves"].probes
    assert probes(name="web", expect="service-ip")[0].key == "dns:web"
    assert probes(name="web", expect="service-ip", namespace="other")[0].key == "dns:web@other"


def test_service_name_resolves_to_its_cluster_ip():
    v = run("dns.resolves", selector_bundle(), name="web", expect="service-ip", service="web")
    assert v.status == PASS and v.observed == "198.19.162.221"


def test_nxdomain_fails_with_busybox_words():
    b = with_lookup(bundle("selector-mismatch", "broken"), "probe-output-shapes", "nope")
    v = run("dns.resolves", b, name="nope", expect="service-ip", service="web")
    assert v.status == FAIL and "NXDOMAIN" in v.observed


def test_another_address_or_a_headless_service_fails():
    b = selector_bundle()
    B.only(b["objects"]["services"], "web")["spec"].update(clusterIP="198.19.0.99", clusterIPs=["198.19.0.99"])
    assert run("dns.resolves", b, name="web", expect="service-ip", service="web").status == FAIL
    b = selector_bundle()
    B.only(b["objects"]["services"], "web")["spec"].update(clusterIP="None", clusterIPs=["None"])
    v = run("dns.resolves", b, name="web", expect="service-ip", service="web")
    assert v.status == FAIL and "headless" in v.observed


def test_pod_ips_must_be_exactly_the_ready_pods():
    b = bundle("selector-mismatch", "reference")
    ips = sorted(p["status"]["podIP"] for p in B.workload_pods(b["objects"], "web"))
    one_address = "Address: 198.19.162.221\n"
    answer = "".join(f"Address: {ip}\n" for ip in ips)
    with_lookup(b, "selector-mismatch-broken", "web", lambda s: s.replace(one_address, answer))
    assert run("dns.resolves", b, name="web", expect="pod-ips", workload="web").status == PASS
    with_lookup(b, "selector-mismatch-broken", "web",
                lambda s: s.replace(one_address, f"Address: {ips[0]}\n"))
    assert run("dns.resolves", b, name="web", expect="pod-ips", workload="web").status == FAIL


def test_cname():
    b = selector_bundle()
    attempt = b["probes"]["dns:web"]["attempts"][0]
    attempt["cnames"] = {"web.fx-selector.svc.cluster.local": "db.prod.example.com"}
    assert run("dns.resolves", b, name="web", expect="cname", cname="db.prod.example.com.").status == PASS
    assert run("dns.resolves", b, name="web", expect="cname", cname="db.example.org").status == FAIL


def test_probe_error_and_unknown_expectation_are_errors():
    b = selector_bundle()
    b["probes"]["dns:web"].update(error=B.PROBE_POD_DOWN, attempts=[])
    assert run("dns.resolves", b, name="web", expect="service-ip", service="web").status == ERROR
    assert run("dns.resolves", selector_bundle(), name="web", expect="srv").status == ERROR


def test_parse_matches_what_the_check_reads():
    rec = [r for r in B.real_commands("selector-mismatch-broken") if r["command"] == "nslookup web"][0]
    parsed = parse_nslookup(rec["exit_code"], rec["stdout"], rec["stderr"])
    assert parsed["outcome"] == "ok" and parsed["addresses"] == ["198.19.162.221"]
    assert copy.deepcopy(parsed) == parsed
