"""Where plans go: checking the target early and replacing it atomically.

A plan is written to a temporary file in the target's folder and renamed over the
target only when complete, so a crash or a full disk never leaves half a workbook.
A failed write (full disk, read-only folder) becomes an `OutputError` naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

from optimizer.problems import OutputError

UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
WRITE_REFUSED = (*DISK_FULL, errno.EACCES, errno.EPERM, errno.EROFS)
"""Errors of a write that the machine refused: the user's to fix, not a bug of reopt."""


def os_error_in(error: BaseException) -> OSError | None:
    """The `OSError` behind `error` (itself, its cause or context, or a wrapped argument)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        wrapped = current.args[0] if current.args else None
        current = current.__cause__ or current.__context__
        if current is None and isinstance(wrapped, BaseException):
            current = wrapped
    return None


def write_failure(error: OSError, path: Path | str | None = None) -> OutputError:
    """A located message for a failed write: a full disk says so and names the path."""
    where = path or error.filename or "?"
    if error.errno in DISK_FULL:
        return OutputError(
            f"{where}: the disk is full (no space left on device); nothing was replaced and "
            "earlier files are intact. Free some space and run again."
        )
    return OutputError(f"{where}: cannot be written ({error.strerror or error})")


def default_output(input_path: Path, scenario: str, folder: Path = Path("outputs")) -> Path:
    """`outputs/<input stem>-<scenario>.xlsx`, with the scenario made file-name safe."""
    safe = UNSAFE_NAME.sub("_", scenario).strip("_") or "scenario"
    return folder / f"{input_path.stem}-{safe}.xlsx"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_target(target: Path, inputs: list[Path], create_folder: bool = False) -> None:
    """Refuse a target that would overwrite an input, is locked, or cannot be written."""
    if target.suffix.lower() != ".xlsx":
        raise OutputError(f"{target}: the plan is an Excel workbook; name it *.xlsx")
    for source in inputs:
        if _same_file(target, source) or target.resolve() == source.resolve():
            raise OutputError(f"{target}: this is the input workbook; choose another output file")
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give a file name ending in .xlsx")
    folder = target.parent
    if create_folder and not folder.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(
                f"{folder}: cannot create the output folder ({error.strerror})"
            ) from None
    if not folder.is_dir():
        raise OutputError(f"{target}: the folder {folder} does not exist")
    for lock in (folder / f"~${target.name}", folder / f".~lock.{target.name}#"):
        if lock.exists():
            raise OutputError(
                f"{target}: is open in Excel or LibreOffice ({lock.name} exists); close it and "
                "run again"
            )
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".reopt-check-", delete=True):
            pass
    except OSError as error:
        raise OutputError(
            f"{target}: the folder {folder} is not writable ({error.strerror})"
        ) from None


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` on success."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".reopt-", suffix=".xlsx.part")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        try:
            os.replace(temporary, target)
        except PermissionError:
            raise OutputError(
                f"{target}: cannot be replaced; is it open in Excel? Close it and run again"
            ) from None
    except Exception as error:
        cause = os_error_in(error)
        if cause is None or isinstance(error, OutputError):
            raise
        _release(error)
        raise write_failure(cause, target) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _release(error: BaseException) -> None:
    """Drop what a failed write left open (a zip file with unflushed data), quietly.

    Its destructor would try the same write again and print a second, ignored traceback
    on stderr; the first failure is the one reported.
    """
    previous = sys.unraisablehook

    def quiet(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, OSError):
            previous(unraisable)

    sys.unraisablehook = quiet
    try:
        current: BaseException | None = error
        while current is not None:
            traceback.clear_frames(current.__traceback__)
            current = current.__cause__ or current.__context__
        gc.collect()
    finally:
        sys.unraisablehook = previous


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
