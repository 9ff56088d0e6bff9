"""The bench's calls: a caller each, and new buildings every few passes over the sample (no window crowding)."""

from __future__ import annotations

import json

from kefu_cli.bench import PASSES_PER_BUILDING, unique_callers


def _lines() -> list[str]:
    return [json.dumps({"caller": {"name": "n", "phone": "1"}, "body": "b",
                        "property": {"project": "P", "building": f"{i % 3}幢", "unit": "101"}}, ensure_ascii=False)
            for i in range(6)] + [json.dumps({"caller": {"name": "m", "phone": "2"}, "body": "no property"})]


def test_every_call_has_its_own_caller_and_buildings_change_every_few_passes() -> None:
    lines = _lines()
    block = len(lines) * PASSES_PER_BUILDING
    out = [json.loads(p) for p in unique_callers(lines, block * 3)]
    assert len({p["caller"]["phone"] for p in out}) == len(out)
    buildings = [{p["property"]["building"] for p in out[n * block:(n + 1) * block] if "property" in p}
                 for n in range(3)]
    assert buildings[0] == {"0幢", "1幢", "2幢"}
    assert buildings[1] == {"0幢-1", "1幢-1", "2幢-1"} and buildings[2] == {"0幢-2", "1幢-2", "2幢-2"}
    assert all("property" not in p for p in out if p["body"] == "no property")
    assert out[block]["property"]["project"] == "P" and out[block]["property"]["unit"] == "101"
