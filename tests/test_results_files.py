"""The committed results files: each says what it measured, where, how and against which paper
value, and every checkpoint it points to is committed beside it."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "results").glob("*.json"))
COMMON = {
    "experiment",
    "dataset",
    "paper_value",
    "seeds",
    "epochs",
    "hardware",
    "command",
    "commit",
    "details",
}


def test_there_are_results_files():
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_results_file_records_its_provenance(path):
    result = json.loads(path.read_text())
    assert set(result) >= COMMON, f"{path.name} lacks {sorted(COMMON - set(result))}"
    assert result["seeds"] and re.fullmatch(r"[0-9a-f]{7,40}(\+dirty)?", result["commit"])
    assert (ROOT / result["details"]).is_file()  # the write-up of what was tried
    if result["experiment"] == "parzen":
        assert result["model"] in {"aae", "vae"}
        assert result["split"].startswith("test")
    for ckpt in re.findall(r'"checkpoint": "([^"]+)"', path.read_text()):
        assert (ROOT / ckpt).is_file(), f"{path.name} points to a missing {ckpt}"
