"""The figures and files every output shares: one coverage share (an empty group has none),
one atomic file writer, one JSON encoder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gridplan.coverage import household_share, share_figure
from gridplan.io.write import atomic_file, write_json


def test_a_grid_without_households_has_no_coverage_share_not_zero():
    share = household_share([100, 300, 0, 50], [True, False, True, True], groups=[0, 0, 1, 2],
                            n_groups=4)
    assert share[0] == pytest.approx(0.25) and share[2] == 1
    assert np.isnan(share[1]) and np.isnan(share[3])       # group 3 has no homes at all
    assert share_figure(share[1]) is None                   # null in summary.json
    assert share_figure(share[0]) == 0.25 and share_figure(2 / 3) == 0.6667


def test_a_district_without_households_has_no_coverage_share():
    assert np.isnan(household_share([0, 0], [True, False]))
    assert share_figure(household_share([], [])) is None


def test_a_mask_of_another_length_is_one_readable_error():
    from gridplan.errors import InputError
    with pytest.raises(InputError, match="expected one per home"):
        household_share([1, 2, 3], [True, False])


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "summary.json"
    write_json({"households": np.int64(400), "share": np.float32("nan"),
                "ok": np.bool_(True), "grid": np.array([1, 2])}, path, atomic=True)
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "households": 400, "share": None, "ok": True, "grid": [1, 2]}
    with pytest.raises(RuntimeError), atomic_file(path) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert json.loads(path.read_text(encoding="utf-8"))["households"] == 400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]
