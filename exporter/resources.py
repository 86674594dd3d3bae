"""Access to the project's data folders (``schemas/``, ``templates/``, ``catalog/``).

In a wheel they are shipped as ``exporter/_data/<name>``; in a source checkout (editable install,
tests) they sit at the top of the repository. Never resolved against the current directory.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["catalog_dir", "data_dir", "schemas_dir", "templates_dir"]


@cache
def data_dir(name: str) -> Path:
    packaged = resources.files("exporter").joinpath("_data", name)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"exporter data folder {name!r} is missing from the installation")


def schemas_dir() -> Path:
    return data_dir("schemas")


def templates_dir() -> Path:
    return data_dir("templates")


def catalog_dir() -> Path:
    return data_dir("catalog")
