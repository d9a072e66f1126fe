"""constraint.endpoints-managed: the Service has a selector and only the endpointslice controller
writes its EndpointSlices."""
import pytest

from drills.graders.registry import ERROR, FAIL
from tests.graders.kit import expect, expect_on, named, recorded, slices_of, without

NAME = "constraint.endpoints-managed"


@pytest.mark.parametrize("label, fragments", [
    ("selector-mismatch/reference-PASSED", ["selector {label_key}={app}; EndpointSlices from the controller"]),
    ("expose-deployment/broken-FAILED", ["no Service {svc_name}"]),
])
def test_recorded_input(label, fragments):
    expect(NAME, label, *fragments)


def test_a_hand_written_slice_fails():
    # hand-made: a learner's own EndpointSlice beside the controller's
    b = recorded("selector-mismatch", "reference")
    (sl,) = slices_of(b, "billing")
    sl["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] = "kubectl"
    expect_on(NAME, b, FAIL, f"EndpointSlices {sl['metadata']['name']} (managed-by kubectl) were not "
                             "written by the controller")


def test_a_service_without_selector_fails():
    b = recorded("selector-mismatch", "reference")
    del named(b, "services", "billing")["spec"]["selector"]
    expect_on(NAME, b, FAIL, "no selector: its endpoints are hand-made")


def test_unreadable_slices_cannot_decide():
    expect_on(NAME, without(recorded("selector-mismatch", "reference"), "endpointslices"), ERROR,
              "the evidence holds no endpointslices")
