"""Package directory life cycle: temp dir → files → manifest → fsync → atomic rename; encryption.

A package is never visible half-written: everything is written into ``.<name>.partial-*`` beside
the final folder (same filesystem) and renamed into place as the last step. An existing package is
replaced only when asked (``force``), and then also without a moment where neither exists whole.
The encrypted delivery archive is written the same way (a locked ``.partial-*`` file, then a rename).

The manifest — written last into the staged folder, checked by ``verify`` — is :mod:`.manifest`;
its names stay importable from here too (a package's whole life from one import).
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import testhooks
from ..cleanup import remove_tree
from ..folderlock import abandoned as _abandoned
from ..folderlock import lock as _lock
from ..folderlock import unlock as _unlock
from ..errors import OutputError
from .manifest import MANIFEST, MANIFEST_FORMAT, verify, write_manifest

__all__ = [
    "MANIFEST",
    "MANIFEST_FORMAT",
    "encrypt_package",
    "remove_stale",
    "staging",
    "verify",
    "write_manifest",
]

log = logging.getLogger("exporter.packaging.package")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: ``renameat2`` flags (Linux): swap two paths atomically / fail when the target exists.
_RENAME_EXCHANGE = 2
_RENAME_NOREPLACE = 1


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2(2)`` when the platform has it; False when it does not (caller falls back)."""
    if testhooks.renameat2_disabled():
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL):  # kernel or filesystem without renameat2 / this flag
        return False
    raise OSError(err, os.strerror(err), str(dst))




def remove_stale(final: Path) -> int:
    """Remove what killed runs left beside ``final``; returns how many entries were removed.

    * ``.<name>.partial-*`` work folders (and ``.<name>.zip.partial-*`` archives) whose run is no
      longer alive (its ``flock`` is free): a run that is still writing keeps its folder;
    * ``.<name>.old-*`` — the previous package, moved aside by a ``force`` replacement that died
      before the new one was renamed into place: it is put back when ``final`` is missing,
      otherwise removed.
    """
    parent, name = final.parent, final.name
    removed = 0
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(f".{name}."):
            continue
        rest = entry.name[len(name) + 2:]
        if rest.startswith(("partial-", "zip.partial-")) and _abandoned(entry):
            if entry.is_dir() and not entry.is_symlink():
                remove_tree(entry, "the work folder of an interrupted run")
            else:
                entry.unlink(missing_ok=True)
            removed += 1
        elif rest.startswith("old-") and entry.is_dir() and _abandoned(entry):
            if not final.exists():
                os.rename(entry, final)
            else:
                remove_tree(entry, "the previous package moved aside by an interrupted --force run")
            removed += 1
    if removed:
        log.info("removed %d leftover(s) of interrupted runs beside the package folder", removed)
    return removed


def _missing_ancestors(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first."""
    out = []
    while not folder.exists() and folder != folder.parent:
        out.append(folder)
        folder = folder.parent
    return out


@contextmanager
def staging(final: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temp folder; on success rename it to ``final``; on error remove it.

    The temp folder ``.<name>.partial-<random>`` lies beside ``final`` (same filesystem, so the
    rename is atomic) and is ``flock``-ed while the run lives. A run killed outright (SIGKILL,
    power loss) leaves it behind, hidden and never mistaken for a package; the next run for the
    same package removes such leftovers when it starts (:func:`remove_stale`; housekeeping may
    call it too). Folders the run had to create for ``final`` are removed again
    when it fails, so a failed export leaves the output folder as it found it.
    """
    created = _missing_ancestors(final.parent)
    if not created:
        remove_stale(final)
    if final.exists() and not force:
        raise OutputError("the package folder already exists", path=str(final),
                          hint="choose another --out or request id, or pass --force to replace it")
    lock: int | None = None
    tmp = final.parent / f".{final.name}.partial-{secrets.token_hex(4)}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        lock = _lock(tmp)
        testhooks.reached("staging")
    except OSError as exc:
        remove_tree(tmp, "the work folder", missing_ok=True)
        _remove_empty(created)
        raise OutputError(f"cannot create the output folder: {exc.strerror}", path=str(final.parent)) from exc
    try:
        yield tmp
        _fsync_dir(tmp)
        testhooks.reached("publish")
        _publish(tmp, final, force=force)
        _fsync_dir(final.parent)
    except BaseException:
        remove_tree(tmp, "the work folder", missing_ok=True)
        _remove_empty(created)
        raise
    finally:
        _unlock(lock)


def _publish(tmp: Path, final: Path, *, force: bool = False) -> None:
    """Move the complete package ``tmp`` into place as ``final`` by renaming it (never copying).

    * ``final`` missing: a no-replace rename (``RENAME_NOREPLACE``), so a package another run wrote
      meanwhile is never replaced — without ``force`` that is an :class:`OutputError`;
    * ``final`` present and ``force``: one atomic exchange (``RENAME_EXCHANGE``), then the previous
      package (now at ``tmp``) is removed — there is no moment without a whole package;
    * where the platform has no exchange: the previous package is renamed aside to
      ``.<name>.old-*``, the new one renamed into place, the old one removed. If the second
      rename fails the old package is put back; if the process dies between the two,
      :func:`remove_stale` (run by the next export for the package) puts it back.
    """
    if force and final.exists():
        try:
            exchanged = _renameat2(tmp, final, _RENAME_EXCHANGE)  # one step: never a moment without a package
        except OSError as exc:
            raise OutputError(f"cannot swap the new package into place: {exc.strerror}", path=str(final),
                              hint="the previous package was kept") from exc
        if exchanged:
            testhooks.reached("exchanged")
            remove_tree(tmp, "the previous package (after the exchange)")
            return
        old = final.parent / f".{final.name}.old-{secrets.token_hex(4)}"
        try:
            os.rename(final, old)
        except OSError as exc:
            raise OutputError(f"cannot move the previous package aside: {exc.strerror}", path=str(final)) from exc
        testhooks.reached("moved")
        try:
            os.rename(tmp, final)
        except OSError as exc:
            os.rename(old, final)  # the previous package, whole, back in place
            raise OutputError(f"cannot move the package into place: {exc.strerror}", path=str(final),
                              hint="the previous package was kept") from exc
        testhooks.reached("replaced")
        remove_tree(old, "the previous package (after the replacement)")
        return
    try:
        if not _renameat2(tmp, final, _RENAME_NOREPLACE):
            if final.exists():
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(final))
            os.rename(tmp, final)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise OutputError("the package folder already exists (another run wrote it meanwhile)",
                              path=str(final), hint="pass --force to replace it") from None
        raise OutputError(f"cannot move the package into place: {exc.strerror}", path=str(final)) from exc


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            break


def encrypt_package(package: Path, password: str, *, force: bool = False) -> Path:
    """AES-256 zip of the package (WinZip AES: 7-Zip, macOS Archive Utility and others open it)."""
    import pyzipper

    if len(password) < 12:
        raise OutputError("the delivery password is too short", hint="use at least 12 characters")
    target = package.with_name(package.name + ".zip")
    if target.exists() and not force:
        raise OutputError("the encrypted archive already exists", path=str(target), hint="pass --force to replace it")
    remove_stale(package)  # archives of killed runs
    tmp = package.with_name(f".{package.name}.zip.partial-{secrets.token_hex(4)}")
    lock: int | None = None
    try:
        with tmp.open("xb") as fh:
            lock = _lock(tmp)
            with pyzipper.AESZipFile(fh, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
                zf.setpassword(password.encode("utf-8"))
                zf.setencryption(pyzipper.WZ_AES, nbits=256)
                for path in sorted(p for p in package.rglob("*") if p.is_file()):
                    zf.write(path, (Path(package.name) / path.relative_to(package)).as_posix())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _unlock(lock)
    return target
