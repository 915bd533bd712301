"""Output folders gridplan may write: its own (marked), new or empty ones; never a user's files."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import socket
import tempfile
from pathlib import Path

from ..errors import InputError

#: The file inside every folder gridplan writes: it lists the names gridplan put there, so a
#: later run replaces those and nothing else.
MARKER = ".gridplan"
#: What a folder written before the marker existed may hold (plan, site and demo outputs); a
#: folder of only these, with gridplan's own summary.json, is taken as gridplan's.
LEGACY_NAMES = frozenset({"plan.gpkg", "summary.json", "map.html", "grids.csv", "communities.csv",
                          "geojson", "review.html", "proposed_stations.csv"})
#: What a batch folder holds (``gridplan batch``).
BATCH_NAMES = frozenset({"plan.gpkg", "summary.json", "manifest.json", "regions", ".lock"})
#: Temporary files gridplan makes inside a folder it owns (the marker's, a batch's merge and
#: manifest): a killed run may leave them, and they do not make the folder someone else's.
OWN_TEMP = re.compile(r"\.gridplan\.\d+(\.[a-z0-9_]{8})?\.tmp|\.plan\..+\.gpkg|\.(summary|manifest)\.json\..+\.tmp")
#: Signals that must not land between two renames of a commit; they are delivered after it.
_HELD = {signal.SIGINT, signal.SIGTERM}


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def _prefix(stem: str) -> str:
    return f".{stem}.gridplan" if stem else ".gridplan"


def _temp_name(stem: str, kind: str) -> str:
    """``.<stem>.gridplan.<host>.<pid>.<random>.<kind>`` (no stem inside ``out``): whose it
    is and which process made it, so a later run removes it only once that process is gone."""
    return f"{_prefix(stem)}.{_host()}.{os.getpid()}.{os.urandom(4).hex()}.{kind}"


def _ours_temp(name: str, stem: str) -> int | None:
    """The process id in a temporary name of ``stem`` made on this host, else None."""
    m = re.fullmatch(re.escape(f"{_prefix(stem)}.{_host()}.") + r"(\d+)\.[0-9a-f]{8}\.(tmp|old)",
                     name)
    return int(m.group(1)) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owned_names(folder: Path, legacy: frozenset = LEGACY_NAMES) -> set | None:
    """The names in ``folder`` that gridplan wrote there, or None when it is not gridplan's
    (no marker, and not a folder of only gridplan's outputs from before the marker)."""
    folder = Path(folder)
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("files"), list):
            return {str(n) for n in data["files"]} | {MARKER}
    except (OSError, ValueError):
        pass
    try:
        names = {p.name for p in folder.iterdir()}
    except OSError:
        return None
    if names and names <= legacy and _gridplan_summary(folder / "summary.json"):
        return names
    if legacy is BATCH_NAMES and names and names <= legacy and "manifest.json" in names:
        return names
    return None


def _gridplan_summary(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "gridplan" in (data.get("versions") or {})


def write_marker(folder: Path, names) -> None:
    """Record ``names`` as gridplan's in ``folder`` (through a temporary file)."""
    from .. import __version__
    from ..io.write import atomic_file
    with atomic_file(Path(folder) / MARKER, prefix=f"{MARKER}.{os.getpid()}.") as tmp:
        tmp.write_text(json.dumps({"written_by": "gridplan", "gridplan": __version__,
                                   "files": sorted(set(names) - {MARKER})}, indent=1) + "\n",
                       encoding="utf-8")


def _legacy_temp(name: str, stem: str) -> bool:
    """A temporary folder of the older kind (``mkdtemp``'s 8 characters, no process id)."""
    return re.fullmatch(re.escape(f".{stem}.") + r"[a-z0-9_]{8}\.tmp", name) is not None


def clean_stale(out: Path) -> list[str]:
    """Remove what killed runs left: gridplan's temporary folders beside ``out`` and inside
    it, once the process that made them is gone. Returns their names."""
    out = Path(os.path.abspath(out))
    gone = []
    for folder, stem in ((out.parent, out.name), (out, "")):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for p in entries:
            pid = _ours_temp(p.name, stem)
            old = re.fullmatch(re.escape(f".{stem}.old-") + r"(\d+)", p.name) if stem else None
            if pid is not None or old:
                if _alive(pid if pid is not None else int(old.group(1))):
                    continue
                if (old or p.name.endswith(".old")) and owned_names(p) is None:
                    continue    # an older gridplan moved a folder aside that was not its own
            elif not (stem and _legacy_temp(p.name, stem)):
                continue
            else:   # no process id: only when it holds nothing but gridplan's outputs
                try:
                    if not {q.name for q in p.iterdir()} <= LEGACY_NAMES | {MARKER}:
                        continue
                except OSError:
                    continue
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p.name)
    return gone


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder)
        return True
    except (ValueError, OSError):
        return False


def _probe(folder: Path, out: Path) -> None:
    """Fail in one line unless a folder can be made in ``folder``."""
    try:
        d = tempfile.mkdtemp(prefix=".gridplan-probe.", dir=folder)
        os.rmdir(d)
    except OSError as e:
        raise InputError(f"cannot write there ({e.strerror or e}): expected a folder you may "
                         "write to", file=out) from None


def check_out(out, *, force: bool = False, inputs=(), legacy: frozenset = LEGACY_NAMES) -> str:
    """Decide how the folder ``out`` may be written, before any work is done.

    Parameters
    ----------
    out : str or Path
    force : bool
        Write gridplan's files beside whatever ``out`` holds (only gridplan's own files are
        ever replaced).
    inputs : iterable of paths
        The files the run reads; a folder holding one is not replaced.

    Returns
    -------
    str
        ``"new"`` (made whole), ``"replace"`` (a folder of only gridplan's files, replaced in
        one rename) or ``"beside"`` (an empty folder, or ``force``: file by file).

    Raises
    ------
    InputError
        One line: ``out`` is a file, cannot be written, or holds files gridplan did not write
        (or an input, or the folder you are in) and ``force`` is not set.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder: expected a folder for the plan's files",
                         file=out)
    real = out.resolve()
    if not out.exists():
        anc = Path(os.path.abspath(out)).parent
        while not anc.exists():
            anc = anc.parent
        if not anc.is_dir():
            raise InputError(f"{anc} is a file: expected a folder for the plan's files", file=out)
        _probe(anc, out)
        return "new"
    try:
        entries = {p.name for p in out.iterdir()} - {MARKER}
    except OSError as e:
        raise InputError(f"cannot read the folder ({e.strerror or e})", file=out) from None
    entries = {n for n in entries if _ours_temp(n, "") is None and not OWN_TEMP.fullmatch(n)}
    cwd = Path.cwd().resolve()
    here = real == cwd or real in cwd.parents
    held = sorted(Path(p).name for p in inputs if p is not None and _inside(p, real))
    owned = owned_names(out, legacy)
    if not entries:
        _probe(out, out)
        return "beside"
    if force:
        _probe(out, out)
        return "beside"
    hint = "choose an empty or new folder, or --force to write the outputs beside them"
    if held:
        raise InputError(f"holds the input {held[0]}: {hint.replace('them', 'it')}", file=out)
    if here:
        raise InputError(f"is the folder you are working in: {hint}", file=out)
    if owned is None or not entries <= owned:
        other = sorted(entries - (owned or set()))
        raise InputError(f"holds files gridplan did not write ({other[0]}"
                         + (f" and {len(other) - 1} more" if len(other) > 1 else "")
                         + f"): {hint}", file=out)
    if out.is_symlink():        # write through the link, never swap the link itself
        _probe(real, out)
        return "beside"
    _probe(real.parent, out)
    return "replace"


@contextlib.contextmanager
def _signals_held():
    """Hold SIGINT and SIGTERM while a few renames run, so a commit is never cut in two."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    except (ValueError, OSError):
        old = None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _oserror(e: OSError, out: Path) -> InputError:
    return InputError(f"cannot write there ({e.strerror or e}): expected a folder you may "
                      "write to", file=out)


@contextlib.contextmanager
def atomic_folder(out, *, force: bool = False, inputs=()):
    """A temporary folder to write the outputs into, committed to ``out`` on success.

    A new ``out`` appears whole in one rename; a folder of only gridplan's files is replaced
    in one rename; an empty folder, or any folder with ``force``, gets gridplan's files one
    atomic rename each, beside what it holds, and a file gridplan did not write is never
    replaced (InputError before anything moves). On any error the temporary folder goes and
    ``out`` is left as it was. Every folder gets the marker :data:`MARKER` listing gridplan's
    files.

    Parameters
    ----------
    out : str or Path
    force : bool
        Allow a folder that holds other files (see :func:`check_out`).
    inputs : iterable of paths
        Files the run read: never replaced, and a folder holding one needs ``force``.
    """
    out = Path(out)
    inputs = [Path(p) for p in inputs if p is not None]
    mode = check_out(out, force=force, inputs=inputs)
    clean_stale(out)
    try:
        if mode == "beside":
            stage = out / _temp_name("", "tmp")
            stage.mkdir()
        else:
            Path(os.path.abspath(out)).parent.mkdir(parents=True, exist_ok=True)
            stage = out.parent / _temp_name(out.name, "tmp")
            stage.mkdir()
    except OSError as e:
        raise _oserror(e, out) from None
    try:
        yield stage
        names = {p.name for p in stage.iterdir()} - {MARKER}
        if mode != "beside":
            write_marker(stage, names)
        _sync_tree(stage)
        if mode == "beside":
            _commit_beside(stage, out, names, inputs)
        else:
            _commit_whole(stage, out, force, inputs)
    except OSError as e:
        shutil.rmtree(stage, ignore_errors=True)
        if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT,
                       errno.ENOENT, errno.EXDEV, errno.EBUSY):
            raise _oserror(e, out) from None
        raise
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _sync_tree(folder: Path) -> None:
    """Every file under ``folder``, and the folders, on disk before the swap: the writers
    need not sync (GDAL writes plan.gpkg with SQLite's syncs off), and a power cut after the
    rename still finds whole files."""
    for path in sorted(folder.rglob("*"), reverse=True) + [folder]:
        if path.is_symlink():
            continue
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _commit_whole(stage: Path, out: Path, force: bool, inputs) -> None:
    # the folder may have changed while the plan ran: decide again just before the swap
    mode = check_out(out, force=force, inputs=inputs)
    if mode == "beside":
        _commit_beside(stage, out, {p.name for p in stage.iterdir()} - {MARKER}, inputs)
        return
    with _signals_held():
        if mode == "new":
            try:
                os.rename(stage, out)
                return
            except OSError as e:        # someone else made it meanwhile: decide again
                if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            check_out(out, force=False, inputs=inputs)
        old = out.parent / _temp_name(out.name, "old")
        os.rename(out, old)
        os.rename(stage, out)
    shutil.rmtree(old, ignore_errors=True)


def _commit_beside(stage: Path, out: Path, names: set, inputs) -> None:
    owned = owned_names(out) or set()
    held = {Path(p).resolve() for p in inputs}
    for name in sorted(names):
        dest = out / name
        if dest.resolve() in held:
            raise InputError(f"{name} is an input of this run: expected a folder where "
                             "gridplan's outputs do not replace its inputs (nothing was written)",
                             file=out)
        if os.path.lexists(dest) and name not in owned:
            raise InputError(f"holds {name}, which gridplan did not write: choose another "
                             "folder (nothing was written)", file=out)
    aside = stage / ".replaced"
    aside.mkdir()
    with _signals_held():
        for name in sorted(names):
            dest, new = out / name, stage / name
            if new.is_dir() or (os.path.lexists(dest) and dest.is_dir()):
                if os.path.lexists(dest):
                    os.rename(dest, aside / name)
                os.rename(new, dest)
            else:
                os.replace(new, dest)
        for name in sorted(owned - names - {MARKER}):   # gridplan's, from an earlier run
            if os.path.lexists(out / name):
                os.rename(out / name, aside / name)
        write_marker(out, names)
    shutil.rmtree(stage, ignore_errors=True)


def prepare_batch_folder(out: Path, *, force: bool = False, inputs=()) -> None:
    """Make or accept the batch folder ``out`` (resumed in place, never replaced).

    A new or empty folder, or one gridplan made, is used; one holding other files only with
    ``force``, and then never when one of them has a name the batch writes. Raises InputError.
    """
    out = Path(out)
    mode = check_out(out, force=force, inputs=inputs, legacy=BATCH_NAMES)
    if mode == "beside" and out.exists():
        owned = owned_names(out, BATCH_NAMES) or set()
        clash = sorted(n for n in BATCH_NAMES - {".lock"} if os.path.lexists(out / n)
                       and n not in owned)
        if clash:
            raise InputError(f"holds {clash[0]}, which gridplan did not write: choose another "
                             "folder for the batch", file=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_marker(out, BATCH_NAMES | (owned_names(out, BATCH_NAMES) or set()))
    except OSError as e:
        raise _oserror(e, out) from None


def terminate_like_interrupt() -> None:
    """Make SIGTERM unwind the stack as Ctrl-C does, so temporary folders are removed."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:          # not the main thread
        pass
