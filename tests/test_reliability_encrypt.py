"""``--encrypt`` delivery copies (issue #8, part 4): an AES-256 zip that opens with the password
only, holds exactly the package's files, and the password never appears on the command line, in
any output or log, or in clear in any file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import pyzipper
from ministore import ANN, MiniStore

from exporter.packaging.package import verify

PASSWORD = "correct-horse-battery-staple-7f3a"


def cli(store: MiniStore, out: Path, rid: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "exporter", "export", "--config", str(store.config), "--subject", ANN["email"],
            "--jurisdiction", "eu", "--out", str(out), "--request-id", rid, "--now", "2026-11-25T12:00:00Z",
            "--no-pdf", "--no-html", "--verbose", "--encrypt", *extra]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> MiniStore:
    return MiniStore(tmp_path_factory.mktemp("encrypt") / "store")


def package_files(package: Path) -> dict[str, bytes]:
    return {f"{package.name}/{p.relative_to(package).as_posix()}": p.read_bytes()
            for p in sorted(package.rglob("*")) if p.is_file()}


def check_archive(archive: Path, package: Path) -> None:
    files = package_files(package)
    with pyzipper.AESZipFile(archive) as zf:
        assert sorted(zf.namelist()) == sorted(files)
        assert all(info.flag_bits & 0x1 for info in zf.infolist()), "every entry is encrypted"
        with pytest.raises(RuntimeError, match="requires a password"):
            zf.read(next(iter(files)))
        zf.setpassword(b"wrong password!")
        with pytest.raises(RuntimeError, match="Bad password"):
            zf.read(next(iter(files)))
        zf.setpassword(PASSWORD.encode())
        for name, data in files.items():
            assert zf.read(name) == data
    assert PASSWORD.encode() not in archive.read_bytes()


def assert_password_nowhere(cmd: list[str], done: subprocess.CompletedProcess[bytes], out: Path) -> None:
    assert all(PASSWORD not in arg for arg in cmd)
    assert PASSWORD.encode() not in done.stdout and PASSWORD.encode() not in done.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_password_from_an_environment_variable(store: MiniStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = cli(store, out, "ENC", "--password-env", "DELIVERY_PW")
    done = subprocess.run(cmd, capture_output=True, env={**os.environ, "DELIVERY_PW": PASSWORD}, check=False)
    assert done.returncode == 0, done.stderr.decode()
    archive = out / "ENC.zip"
    assert archive.is_file() and verify(out / "ENC") == []
    check_archive(archive, out / "ENC")
    assert_password_nowhere(cmd, done, out)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no temp archive left


def test_password_from_stdin(store: MiniStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = cli(store, out, "ENC2", "--password-stdin")
    done = subprocess.run(cmd, capture_output=True, input=PASSWORD.encode() + b"\n", check=False)
    assert done.returncode == 0, done.stderr.decode()
    check_archive(out / "ENC2.zip", out / "ENC2")
    assert_password_nowhere(cmd, done, out)


def test_the_cli_takes_no_password_on_the_command_line(store: MiniStore, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "exporter", "export", "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, check=False)
    options = {word.strip(",") for line in done.stdout.splitlines() for word in line.split()
               if word.startswith("--password")}
    assert options == {"--password-env", "--password-stdin"}
    cmd = cli(store, tmp_path / "out", "ENC3", "--password", PASSWORD)
    refused = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "No such option" in refused.stderr
    assert not (tmp_path / "out").exists()


def test_missing_or_short_password_is_refused_without_echoing_it(store: MiniStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(cli(store, out, "ENC4", "--password-env", "UNSET_PW_VARIABLE"), capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if k != "UNSET_PW_VARIABLE"},
                          check=False)
    assert done.returncode == 2 and "UNSET_PW_VARIABLE" in done.stderr
    assert not out.exists()  # refused before anything was exported
    short = "short-pw"
    done = subprocess.run(cli(store, out, "ENC5", "--password-env", "DELIVERY_PW"), capture_output=True,
                          text=True, env={**os.environ, "DELIVERY_PW": short}, check=False)
    assert done.returncode == 6 and "too short" in done.stderr and short not in done.stderr
    assert not (out / "ENC5.zip").exists()
