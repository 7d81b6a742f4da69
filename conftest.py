"""Root pytest configuration, loaded for tests/ and for the notebooks nbval collects in source/."""
import pytest


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    """nbval runs a notebook's cells one by one in a single kernel: keep them in one xdist
    worker (pytest-xdist's loadgroup); every other test may go to any worker."""
    for item in items:
        if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
