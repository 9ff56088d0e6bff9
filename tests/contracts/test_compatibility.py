"""Every topic stays compatible with the first published version of its contract (v1).

The pins in ``schemas/`` change deliberately (``make schemas``); the baseline in
``baseline_v1/`` never does. Allowed: new optional fields. Breaking: a field
removed, its type or enum changed, a field made required or made optional.
"""

import json
from pathlib import Path

import pytest
from kefu_contracts import TOPICS

BASELINE = Path(__file__).parent / "baseline_v1"


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if ref:
        return _resolve(schema, schema["$defs"][ref.split("/")[-1]])
    return node


def _shape(schema: dict, node: dict) -> object:
    """A comparable description of a field's type (types, enums, nested objects)."""
    node = _resolve(schema, node)
    if "anyOf" in node:
        return ("anyOf", tuple(sorted((_shape(schema, n) for n in node["anyOf"]), key=repr)))
    if "enum" in node or "const" in node:
        return ("enum", sorted(map(str, node.get("enum", [node.get("const")]))))
    if node.get("type") == "object" and "properties" in node:
        return ("object", {k: _shape(schema, v) for k, v in node["properties"].items()},
                sorted(node.get("required", [])))
    if node.get("type") == "array":
        return ("array", _shape(schema, node.get("items", {})))
    return (node.get("type"), node.get("format"))


def check_compatible(old: dict, new: dict, path: str = "") -> list[str]:
    problems = []
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    if old_req != new_req:
        problems.append(f"{path or 'event'}: required fields changed {sorted(old_req)} -> {sorted(new_req)}")
    for name, old_field in old.get("properties", {}).items():
        if name not in new.get("properties", {}):
            problems.append(f"{path}{name}: removed")
            continue
        before = _shape(old, old_field)
        after = _shape(new, new["properties"][name])
        if before != after and not _only_added_optional(before, after):
            problems.append(f"{path}{name}: changed {before} -> {after}")
    return problems


def _only_added_optional(before: object, after: object) -> bool:
    """Nested objects may gain optional fields too."""
    if not (isinstance(before, tuple) and isinstance(after, tuple) and before[:1] == after[:1] == ("object",)):
        if isinstance(before, tuple) and isinstance(after, tuple) and before[:1] == after[:1] == ("anyOf",):
            return len(before[1]) == len(after[1]) and all(
                b == a or _only_added_optional(b, a) for b, a in zip(before[1], after[1])
            )
        return False
    _, old_props, old_req = before
    _, new_props, new_req = after
    return old_req == new_req and all(k in new_props and (new_props[k] == v or _only_added_optional(v, new_props[k]))
                                      for k, v in old_props.items())


@pytest.mark.parametrize("pin", sorted(BASELINE.glob("*.json")), ids=lambda p: p.stem)
def test_topic_is_compatible_with_v1(pin: Path) -> None:
    topic = pin.stem
    assert topic in TOPICS, f"published topic {topic} was removed"
    old = json.loads(pin.read_text(encoding="utf-8"))
    new = TOPICS[topic].model.model_json_schema(mode="serialization")
    assert check_compatible(old, new) == []


def test_the_checker_catches_breaking_changes() -> None:
    old = TOPICS["call.received"].model.model_json_schema(mode="serialization")
    removed = json.loads(json.dumps(old))
    del removed["properties"]["agent_id"]
    assert any("removed" in p for p in check_compatible(old, removed))
    retyped = json.loads(json.dumps(old))
    retyped["properties"]["body"] = {"type": "integer"}
    assert any("body" in p for p in check_compatible(old, retyped))
    newly_required = json.loads(json.dumps(old))
    newly_required["required"].append("subject")
    assert check_compatible(old, newly_required)
    added_optional = json.loads(json.dumps(old))
    added_optional["properties"]["new_field"] = {"type": "string"}
    assert check_compatible(old, added_optional) == []
