from __future__ import annotations

import pytest

from serviceflow.errors import PolicyError
from serviceflow.policy.yaml_source import load_documents

TEXT = """\
a: plain value
b: 'quoted'
c: |
  first line
    second line
d:
  - x: 1
---
e: 2
"""


def test_positions_of_keys_and_values() -> None:
    first, second = load_documents(TEXT, "f.yaml")
    assert first.data == {
        "a": "plain value",
        "b": "quoted",
        "c": "first line\n  second line\n",
        "d": [{"x": 1}],
    }
    assert str(first.locate(("a",))) == "f.yaml:1:4"
    assert str(first.locate(("a",), key=True)) == "f.yaml:1:1"
    assert str(first.locate(("d", 0, "x"))) == "f.yaml:7:8"
    assert str(second.locate(("e",))) == "f.yaml:9:4"


def test_positions_inside_values() -> None:
    document = load_documents(TEXT, "f.yaml")[0]
    assert str(document.locate_in_value(("a",), 1, 7)) == "f.yaml:1:10"
    assert str(document.locate_in_value(("b",), 1, 1)) == "f.yaml:2:5"
    assert str(document.locate_in_value(("c",), 2, 3)) == "f.yaml:5:5"


def test_missing_path_falls_back_to_the_nearest_ancestor() -> None:
    document = load_documents(TEXT, "f.yaml")[0]
    assert str(document.locate(("d", 0, "nope"))) == "f.yaml:7:5"


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        load_documents("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert str(caught.value) == "f.yaml:3:1: yaml: duplicate key 'a' (first at line 1)"


def test_syntax_errors_have_positions() -> None:
    with pytest.raises(PolicyError) as caught:
        load_documents("a: [1, 2\nb: 3\n", "f.yaml")
    assert caught.value.location.line == 2
    assert caught.value.message.startswith("YAML error: ")
