"""Hypothesis profiles: `ci` is thorough and derandomised (the same examples every run, so
main stays green for a reason, not by luck); `dev` is quick for local runs; `stress` is for
hunting counterexamples by hand. CI=true selects `ci`; TINYGAN_PROFILE=<name> overrides."""

import os

# One BLAS thread: the tests multiply small matrices, where a second thread only adds
# hand-off cost, and on a busy 2-core machine a spinning BLAS thread slows small matmuls
# by an order of magnitude. Set before anything imports NumPy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "stress", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
_default = "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"
settings.load_profile(os.environ.get("TINYGAN_PROFILE", _default))


# ----------------------------------------------------------------------------- matplotlib
# tinygan applies its figure style per figure and never switches the backend: every test
# (and so every figure the suite draws, the demos' included) must leave matplotlib's global
# state as it found it.

import matplotlib  # noqa: E402
import pytest  # noqa: E402


def matplotlib_state():
    """The global matplotlib state a user owns: the backend and every rcParam."""
    return matplotlib.get_backend(), dict(matplotlib.rcParams)


@pytest.fixture(autouse=True)
def _matplotlib_left_alone():
    before = matplotlib_state()
    yield
    after = matplotlib_state()
    assert after[0] == before[0], f"the backend changed from {before[0]!r} to {after[0]!r}"
    changed = sorted(k for k in before[1] if before[1][k] != after[1].get(k))
    assert not changed, f"rcParams changed: {changed[:10]}"


# ----------------------------------------------------------------------------- the order
# pytest-xdist (setup.cfg: -n auto --dist loadfile) hands each worker one test file at a
# time, in this order. The two longest files (the notebooks, about 95 s of CPU; the demos'
# quick tour, about 45 s) go first, so that the workers finish together instead of one
# starting the notebooks when the other is nearly done. A stable sort: every file's tests
# stay together and in their own order.

LONGEST_FIRST = ("test_notebooks.py", "test_demos.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)
