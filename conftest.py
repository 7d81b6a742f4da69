"""Root pytest configuration, loaded for tests/ and for the notebooks nbval collects in source/."""
import pytest


# Files whose tests take minutes (real hubs, grading batches): started first, so that the
# quick tests fill the gaps instead of the long ones trailing at the end (measured: a suite
# that ran them last spent its final four minutes on two busy workers out of three).
LONG_FIRST = ["test_hub_e2e.py", "test_scale.py", "test_adversarial.py", "test_lifecycle.py"]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    """nbval runs a notebook's cells one by one in a single kernel: keep them in one xdist
    worker (pytest-xdist's loadgroup); every other test may go to any worker. Long files go
    first (a stable sort keeps each file's own order)."""
    for item in items:
        if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FIRST)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """nbval in lax mode fails a cell only on an error; a source notebook must not write to
    stderr either (a warning there is noise for a learner, and nbgrader zeroes a test cell
    that does it)."""
    result = yield
    outputs = getattr(item, "test_outputs", None) or []
    stderr = [o.get("text", "") for o in outputs
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    if stderr:
        raise AssertionError(f"{item.nodeid} wrote to stderr (a warning?): {stderr[0][:300]}")
    return result
