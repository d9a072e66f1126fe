"""One test module per registered check (tests/graders/checks/test_<check>.py)."""
from pathlib import Path

from drills.graders.registry import REGISTRY, load_all

HERE = Path(__file__).parent


def test_every_registered_check_has_its_own_test_module():
    load_all()
    modules = {p.stem for p in HERE.glob("test_*.py")}
    for check_id in REGISTRY:
        module = "test_" + check_id.replace(".", "_").replace("-", "_")
        assert module in modules, f"{check_id}: add tests/graders/checks/{module}.py"
