"""service.external-name: the Service is an ExternalName alias of the demanded outside host."""
import pytest

from drills.graders.registry import FAIL, PASS
from tests.graders.kit import expect, expect_on, named, recorded

NAME = "service.external-name"


@pytest.mark.parametrize("label, fragments", [
    ("externalname-alias/reference-PASSED", ["type ExternalName with externalName {ext_host}", "ExternalName {ext_host}"]),
    ("externalname-alias/patch-in-place-PASSED", ["ExternalName {ext_host}"]),
    ("externalname-alias/broken-FAILED", ["type ClusterIP with clusterIP", "which DNS returns instead of an alias"]),
    ("externalname-alias/alias-under-other-name-FAILED", ["no Service {svc_name} in namespace {namespace}"]),
    ("externalname-alias/service-domain-only-FAILED", ["externalName", "so DNS sends clients to"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_case_and_a_trailing_dot_do_not_matter_but_the_host_does():
    b = recorded("externalname-alias", "reference")
    svc = named(b, "services", "billing-db")
    svc["spec"]["externalName"] = "Billing.Shared.Example.com."
    expect_on(NAME, b, PASS, "ExternalName {ext_host}")
    svc["spec"]["externalName"] = "{wrong_host}".format(**b["drill"]["params"])
    expect_on(NAME, b, FAIL, "externalName {wrong_host}, so DNS sends clients to {wrong_host}")


def test_a_headless_service_is_not_an_alias_either():
    b = recorded("externalname-alias", "broken")
    spec = named(b, "services", "billing-db")["spec"]
    spec["clusterIP"] = "None"
    v = expect_on(NAME, b, FAIL, "type ClusterIP")
    assert "which DNS returns" not in v.observed
