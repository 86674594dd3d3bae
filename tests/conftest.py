from pathlib import Path

import pytest

pytest_plugins = ["exporter.testing"]


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, built once per session (small heavy-log persona). Read-only: copy it to change it."""
    from exporter import demo

    return demo.build_demo_store(tmp_path_factory.mktemp("demo-session") / "store", heavy_events=2000)
