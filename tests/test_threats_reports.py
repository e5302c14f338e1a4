"""Report reading, the family table and night grouping (leapsim.threats)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from leapsim.errors import InputError
from leapsim.threats import FAMILIES, classify_model, group_nights, read_reports
from leapsim.threats.families import COMPONENT_TABLE, split_components
from leapsim.threats.nights import night_of
from leapsim.threats.reports import source_channel

HEADER = "time_start,time_end,model,target,launched,destroyed,not_reach_goal,is_shahed,source\n"

# Hand-made reports around the real night of 6-7 September 2025 (810 drones).
NIGHTS_CSV = HEADER + (
    # line 2: starts at 17:00, must stay in the night of 09-06 (a start-time rule would not)
    "2025-09-06 17:00,2025-09-07 09:30,Shahed-136/131,Ukraine,810,747,0,,kpszsu/posts/a\n"
    # line 3: night of 09-05, 50 real Shaheds among 91 -> 41 decoys
    "2025-09-05 18:00,2025-09-06 09:00,Shahed-136/131,Ukraine,91,68,0,50,kpszsu/posts/b\n"
    # line 4: daytime wave 08:00-16:00, midpoint noon -> joins the night of 09-06
    "2025-09-06 08:00,2025-09-06 16:00,Shahed-136/131,Ukraine,53,48,0,40,https://t.me/kpszsu/1\n"
    # line 5: regional UAV count, inside the national totals -> never used
    "2025-09-07,2025-09-07,Unknown UAV,south,82,82,,,PvKPivden/posts/c\n"
    # line 6: regional missile on a night without national ballistic rows -> used (night 09-06)
    "2025-09-07,2025-09-07,Iskander-M,Odesa oblast,2,0,,,PvKPivden/posts/d\n"
    # line 7: regional missile on a night with a national ballistic row -> dropped (night 09-05)
    "2025-09-06,2025-09-06,Iskander-M,Mykolaiv oblast,1,0,,,PvKPivden/posts/e\n"
    "2025-09-05 18:00,2025-09-06 09:00,Iskander-M/KN-23,Ukraine,4,1,,,kpszsu/posts/b\n"
    "2025-09-05 18:00,2025-09-06 09:00,X-101/X-555 and Kalibr,Ukraine,20,18,,,kpszsu/posts/b\n"
    # night of 09-07 has no report at all: a night without attack
    "2025-09-08 19:00,2025-09-09 08:30,Shahed-136/131,Ukraine,84,60,0,50,kpszsu/posts/f\n"
)


@pytest.fixture
def nights_csv(tmp_path: Path) -> Path:
    path = tmp_path / "reports.csv"
    path.write_text(NIGHTS_CSV, encoding="utf-8")
    return path


def test_classify_model_components_and_combinations():
    assert classify_model("Shahed-136/131").family == "drone"
    assert classify_model("shahed-136/131") == classify_model("Shahed-136/131")
    assert classify_model("Gerbera").family == "decoy"
    assert classify_model("X-101/X-555 and Kalibr").family == "cruise_missile"
    assert classify_model("C-400 and Iskander-M").family == "ballistic_missile"
    assert classify_model("X-47 Kinzhal").family == "ballistic_missile"
    assert classify_model("P-800 Oniks").family == "other"
    # mixed combination: family of the first component; UAV only if all components are UAVs
    assert classify_model("Iskander-M/KN-23 and Iskander-K and Kalibr").family == (
        "ballistic_missile"
    )
    mixed = classify_model("Shahed-136/131 and Lancet")
    assert mixed.family == "drone" and mixed.uav
    assert not classify_model("X-59 and X-35").uav
    assert classify_model("Intercontinental ballistic missile").family == "ballistic_missile"
    assert classify_model("Made-up drone") is None
    assert classify_model("Kalibr and Made-up") is None
    assert {w.family for w in COMPONENT_TABLE.values()} == set(FAMILIES)


def test_every_model_in_the_real_file_maps_to_a_family(shared_data: Path):
    path = shared_data / "ukraine" / "missile_attacks_daily.csv"
    with open(path, encoding="utf-8") as fh:
        names = {row["model"].strip() for row in csv.DictReader(fh)}
    assert len(names) > 50
    unmapped = sorted(n for n in names if classify_model(n) is None)
    assert unmapped == [], f"add these to COMPONENT_TABLE: {unmapped}"
    rows = read_reports(path)
    assert rows.unmapped_models == ()
    assert len(rows) == 3770
    # the headline weapons land in the expected families
    for name, family in [
        ("Shahed-136/131", "drone"),
        ("X-101/X-555", "cruise_missile"),
        ("Iskander-M", "ballistic_missile"),
        ("Orlan-10", "other"),
    ]:
        assert name in names and classify_model(name).family == family
    assert all(len(split_components(n)) >= 1 for n in names)


def test_source_channel():
    assert source_channel("kpszsu/posts/pfbid02") == "kpszsu"
    assert source_channel("https://t.me/kpszsu/60825") == "kpszsu"
    assert source_channel("https://www.facebook.com/PvKPivden/posts/1") == "pvkpivden"
    assert source_channel("GeneralStaff.ua/posts/x") == "generalstaff.ua"
    assert source_channel("") == ""


def test_night_of_uses_the_midpoint_in_noon_to_noon_windows():
    start = np.array(
        ["2025-09-06T17:00", "2025-09-06T08:00", "2025-09-07T00:00", "2025-09-06T11:00"],
        dtype="datetime64[m]",
    )
    end = np.array(
        ["2025-09-07T09:30", "2025-09-06T16:00", "2025-09-07T00:00", "2025-09-06T11:30"],
        dtype="datetime64[m]",
    )
    expected = np.array(["2025-09-06", "2025-09-06", "2025-09-06", "2025-09-05"], "datetime64[D]")
    np.testing.assert_array_equal(night_of(start, end), expected)


def test_group_nights_on_hand_made_reports(nights_csv: Path):
    rows = read_reports(nights_csv)
    assert rows.national.tolist() == [True, True, True, False, False, False, True, True, True]
    table = group_nights(rows)
    np.testing.assert_array_equal(
        table.nights, np.arange("2025-09-05", "2025-09-09", dtype="datetime64[D]")
    )
    assert table.counts["shahed_type"].tolist() == [91, 810 + 53, 0, 84]
    assert table.counts["ballistic_missile"].tolist() == [4, 2, 0, 0]
    assert table.counts["cruise_missile"].tolist() == [20, 0, 0, 0]
    assert table.counts["other"].tolist() == [0, 0, 0, 0]
    # decoys are known only where every Shahed row of the night carries is_shahed
    assert table.decoys_known.tolist() == [True, False, False, True]
    assert table.decoys[table.decoys_known].tolist() == [41, 34]
    assert (table.rows_national, table.rows_regional_used, table.rows_regional_dropped) == (6, 1, 2)
    # the counting change: all rows are after 2025-08-01
    after = table.outcomes_after_change
    assert (after.launched, after.destroyed) == (91 + 810 + 53 + 84, 68 + 747 + 48 + 60)
    assert table.outcomes_before_change.launched == 0
    assert table.months == pytest.approx(4 / (365.25 / 12))


def test_group_nights_window_is_clipped_to_the_data(nights_csv: Path):
    rows = read_reports(nights_csv)
    table = group_nights(rows, np.datetime64("2025-09-06"), np.datetime64("2025-12-31"))
    assert str(table.nights[0]) == "2025-09-06" and str(table.nights[-1]) == "2025-09-08"
    with pytest.raises(InputError, match="no reports from 2026-01-01; the file covers"):
        group_nights(rows, np.datetime64("2026-01-01"), None)


def _bad(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_reports(path)
    return info.value


@pytest.mark.parametrize(
    ("row", "line", "field"),
    [
        ("2025-13-01 18:00,2025-09-07 09:00,Shahed-136/131,Ukraine,5,,,,kpszsu/x", 3, "time_start"),
        ("06.09.2025,2025-09-07 09:00,Shahed-136/131,Ukraine,5,,,,kpszsu/x", 3, "time_start"),
        ("2025-09-06 18:00,tomorrow,Shahed-136/131,Ukraine,5,,,,kpszsu/x", 3, "time_end"),
        ("2025-09-06 18:00,2025-09-05 09:00,Shahed-136/131,Ukraine,5,,,,kpszsu/x", 3, "time_end"),
        (
            "2025-09-06 18:00,2025-09-07 09:00,Shahed-136/131,Ukraine,many,,,,kpszsu/x",
            3,
            "launched",
        ),
        ("2025-09-06 18:00,2025-09-07 09:00,Shahed-136/131,Ukraine,-4,,,,kpszsu/x", 3, "launched"),
        (
            "2025-09-06 18:00,2025-09-07 09:00,Shahed-136/131,Ukraine,5,2.5,,,kpszsu/x",
            3,
            "destroyed",
        ),
        ("2025-09-06 18:00,2025-09-07 09:00,Shahed-136/131,Ukraine,5,,,9,kpszsu/x", 3, "is_shahed"),
        ("2025-09-06 18:00,2025-09-07 09:00,,Ukraine,5,,,,kpszsu/x", 3, "model"),
    ],
)
def test_malformed_rows_name_line_and_column(tmp_path: Path, row: str, line: int, field: str):
    good = "2025-09-05 18:00,2025-09-06 09:00,Shahed-136/131,Ukraine,91,68,0,50,kpszsu/posts/b\n"
    err = _bad(tmp_path, HEADER + good + row + "\n")
    problem = err.problems[0]
    assert (problem.line, problem.field) == (line, field)
    assert problem.file.endswith("bad.csv")


def test_missing_column_and_multiline_cells(tmp_path: Path):
    err = _bad(tmp_path, "time_start,time_end,model\n2025-09-06,2025-09-06,Kalibr\n")
    assert (err.problems[0].line, err.problems[0].field) == (1, "launched")
    # a quoted cell spanning two lines: the next row's line number accounts for it
    text = HEADER + (
        '2025-09-05 18:00,2025-09-06 09:00,Shahed-136/131,"Kyiv\noblast",9,,,,kpszsu/x\n'
        "2025-09-06 18:00,2025-09-07 09:00,Kalibr,Ukraine,x,,,,kpszsu/x\n"
    )
    err = _bad(tmp_path, text)
    assert (err.problems[0].line, err.problems[0].field) == (4, "launched")


def test_empty_launched_is_skipped_and_counted(tmp_path: Path):
    path = tmp_path / "r.csv"
    path.write_text(
        HEADER
        + "2025-09-05 18:00,2025-09-06 09:00,Shahed-136/131,Ukraine,91,68,0,,kpszsu/b\n"
        + "2025-09-05 18:00,2025-09-06 09:00,C-300,Ukraine,,0,,,kpszsu/b\n",
        encoding="utf-8",
    )
    table = group_nights(read_reports(path))
    assert table.rows_without_launched == 1
    assert table.counts["ballistic_missile"].tolist() == [0]
