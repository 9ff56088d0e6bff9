"""A revision as a change, not a whole state: what one change did to an aggregate's top-level fields.

An aggregate's revisions are its audit trail. Stored whole, a case changed k
times costs O(k^2) bytes, because its timeline grows with every change. Stored
as changes, each costs in proportion to what changed: the top-level fields set
or removed, and for a list that only grew, just the appended items.

A change is a plain document, stored as is::

    {"set": {field: new value}, "unset": [field, ...], "push": {field: [appended items]}}

(empty parts are left out). Pure functions, no I/O: ``apply(old, diff(old, new)) == new``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

State = Mapping[str, Any]


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down.

    Plain ``==`` calls ``1 == 1.0 == True`` and ``[1] == [True]`` equal, but the
    store keeps each as written: a field changed from 1 to True must be in the diff.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _grew(old: Any, new: Any) -> bool:
    """``new`` is ``old`` with items appended (a timeline), so only the new items need storing."""
    return (type(old) is list and type(new) is list and len(new) > len(old)
            and all(same(x, y) for x, y in zip(old, new)))


def diff(old: State, new: State) -> dict[str, Any]:
    """The change that turns ``old`` into ``new``, top-level field by field."""
    set_: dict[str, Any] = {}
    push: dict[str, list[Any]] = {}
    for key, value in new.items():
        if key not in old:
            set_[key] = value
        elif _grew(old[key], value):
            push[key] = value[len(old[key]):]
        elif not same(old[key], value):
            set_[key] = value
    unset = [key for key in old if key not in new]
    change: dict[str, Any] = {}
    if set_:
        change["set"] = copy.deepcopy(set_)
    if unset:
        change["unset"] = unset
    if push:
        change["push"] = copy.deepcopy(push)
    return change


def apply(old: State, change: Mapping[str, Any]) -> dict[str, Any]:
    """``old`` with ``change`` applied, as a new document (neither argument is modified nor shared)."""
    unknown = set(change) - {"set", "unset", "push"}
    if unknown:
        raise ValueError(f"not a revision change: unknown parts {sorted(unknown)}")
    new = copy.deepcopy(dict(old))
    for key in change.get("unset", ()):
        new.pop(key, None)
    for key, value in change.get("set", {}).items():
        new[key] = copy.deepcopy(value)
    for key, items in change.get("push", {}).items():
        if type(new.get(key)) is not list:
            raise ValueError(f"cannot append to {key!r}: it is not a list in the state the change applies to")
        new[key].extend(copy.deepcopy(items))
    return new
