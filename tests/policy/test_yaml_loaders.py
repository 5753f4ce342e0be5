"""Policy files are composed by PyYAML's pure-Python loader on every build (policy/yaml_source.py):
libyaml, tried for speed, reads some files differently, and these are the corners a property test
found in CI; a file means what the Python loader says on a machine with libyaml too."""

from __future__ import annotations

import pytest

from serviceflow.errors import PolicyError
from serviceflow.policy.yaml_source import MAX_DOCUMENTS, load_documents


def test_a_bare_non_specific_tag_is_null_as_the_python_loader_reads_it() -> None:
    (document,) = load_documents("a: !\n", "f.yaml")  # libyaml: ""
    assert document.data == {"a": None}


def test_a_comment_right_after_a_block_indicator_is_an_error_naming_its_place() -> None:
    with pytest.raises(PolicyError, match=r"f\.yaml:1:2: yaml: YAML error: expected chomping"):
        load_documents(">#", "f.yaml")  # libyaml: an empty folded scalar


def test_an_explicit_key_is_placed_where_the_python_loader_places_it() -> None:
    (document,) = load_documents("? -&|!|*,b", "f.yaml")
    assert document.data == {"-&|!|*,b": None}
    position = document.values[("-&|!|*,b",)]
    assert (position.line, position.column) == (0, 10)  # libyaml placed this pair elsewhere


def test_a_literal_block_keeps_its_style_and_indent() -> None:
    (document,) = load_documents("a: |\n    one\n    two\nb: plain\n", "f.yaml")
    assert document.values[("a",)].style == "|" and document.values[("a",)].indent == 4
    assert document.values[("b",)].style is None


def test_more_documents_than_the_limit_is_that_limit_not_the_values_one() -> None:
    with pytest.raises(PolicyError, match=f"more than {MAX_DOCUMENTS} documents in one file"):
        load_documents("--- {}\n" * 140_000, "f.yaml")
