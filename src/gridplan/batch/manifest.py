"""What a batch has done: ``DIR/manifest.json``, and the completion marker inside each region's
folder, the only proof that the folder is whole."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

from ..config import PlanConfig
from ..errors import InputError
from ..io.write import write_json
from ..outputs.folder import owned_names
from ..summary import ManifestEntry, RegionRecord, to_json

#: Written last into a region's folder, before the folder takes its final name.
MARKER = "complete.json"
MANIFEST = "manifest.json"
REGIONS = "regions"


def settings_hash(config: PlanConfig, coords: str) -> str:
    """sha256 of everything besides the input that changes a region's plan."""
    text = json.dumps({"config": config.to_dict(), "coords": coords}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _marker_json(folder: Path):
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_complete(folder: Path) -> bool:
    """Whether a region folder holds a completion marker (of any gridplan version): a
    folder that does is whole, and is never removed as half-written."""
    return _marker_json(folder) is not None


def read_marker(folder: Path) -> RegionRecord | None:
    """The completion marker of a region folder, or None when the folder is not complete
    or its marker is not one this version writes (the region is then planned again)."""
    data = _marker_json(folder)
    if not isinstance(data, dict):
        return None
    try:
        return RegionRecord.from_json(data)
    except InputError:          # a key this version needs is missing
        return None


def is_current(marker: RegionRecord | None, input_hash: str, config_hash: str,
               version: str) -> bool:
    """Whether a completed region was planned from this input, with these settings and this
    gridplan version."""
    return marker is not None and (marker.input_hash, marker.config_hash,
                                   marker.gridplan) == (input_hash, config_hash, version)


#: The temporary names a batch makes in ``regions/`` (staging folders, older copies, and the
#: temporary folders of :func:`gridplan.outputs.folder.atomic_folder`).
_TEMP = re.compile(r"\..+\.(stage|tmp|old)|\..+\.old-\d+(-\d+)?")
#: The temporary files a batch makes in its own folder (merge and manifest).
_BATCH_TEMP = re.compile(r"\.plan\..+\.gpkg|\.(summary|manifest)\.json\..+\.tmp")


def clean_batch_folder(out: Path) -> list[str]:
    """Remove the temporary files a killed batch left in ``out`` (call it holding the lock)."""
    removed = []
    for p in Path(out).iterdir():
        if _BATCH_TEMP.fullmatch(p.name) and p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed


def clean_regions_folder(regions_dir: Path, names) -> list[str]:
    """Remove what an interrupted run left in ``regions_dir``: gridplan's hidden temporary
    folders and files, and the folders of ``names`` gridplan made that have no completion
    marker (a folder gridplan did not make is left alone). Returns what went."""
    removed = []
    if not regions_dir.is_dir():
        return removed
    for p in regions_dir.iterdir():
        if _TEMP.fullmatch(p.name):
            _remove(p)
            removed.append(p.name)
    for name in names:
        p = regions_dir / name
        if p.exists() and not is_complete(p) and owned_names(p) is not None:
            _remove(p)
            removed.append(name)
    return removed


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def publish_folder(stage: Path, final: Path) -> None:
    """Give a complete staging folder its final name, replacing an older one; whatever the
    timing, ``final`` is either the old folder or the new, never a mixture. Two runs of the
    same region (a task re-run after its worker was presumed lost) may both publish: the
    last one wins, and both are whole. A ``final`` gridplan did not make is never replaced
    (InputError)."""
    if final.exists() and not is_complete(final) and owned_names(final) is None:
        raise InputError("holds files gridplan did not write: expected this region's folder "
                         "to be new or gridplan's own (move it away and run again)", file=final)
    while True:
        try:
            os.rename(stage, final)
            return
        except OSError as e:
            if e.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not final.exists():
                raise
            old = final.with_name(f".{final.name}.old-{os.getpid()}-{time.monotonic_ns()}")
            try:
                os.rename(final, old)
            except FileNotFoundError:
                continue        # someone else moved it first: try again
            shutil.rmtree(old, ignore_errors=True)


class Manifest:
    """``DIR/manifest.json``: per region its input, input hash, settings hash, gridplan
    version, status (``complete``, ``failed``, ``pending``) and figures or error.

    It is a record kept for people and tools; whether a region is done is decided by the
    marker in its folder, so a manifest that lags behind a killed run loses nothing.
    """

    def __init__(self, out: Path, config_hash: str, version: str):
        self.path = Path(out) / MANIFEST
        self.config_hash = config_hash
        self.version = version
        self.regions: dict[str, ManifestEntry] = {}
        try:
            old = json.loads(self.path.read_text(encoding="utf-8"))
            # regions of earlier runs stay listed; a manifest this version cannot read is
            # started anew (it decides nothing)
            self.regions = {name: ManifestEntry.from_json(e)
                            for name, e in old.get("regions", {}).items()}
        except (OSError, ValueError, AttributeError, TypeError):
            self.regions = {}

    def set(self, name: str, **entry) -> None:
        """Record ``entry`` (ManifestEntry fields) for region ``name``: all of them for a
        region not listed yet, those that changed for one that is."""
        old = self.regions.get(name)
        self.regions[name] = replace(old, **entry) if old else ManifestEntry(**entry)

    def save(self) -> None:
        write_json({
            "gridplan": self.version,
            "config_hash": self.config_hash,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "regions": {name: to_json(e) for name, e in self.regions.items()},
        }, self.path, atomic=True)
