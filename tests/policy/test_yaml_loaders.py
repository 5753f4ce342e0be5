"""libyaml (``yaml.CSafeLoader``) composes policy files when PyYAML has it; what it builds, and
where it says each value and key is, is what the pure-Python loader builds (property-based,
bounded), and a file that does not parse gets the Python loader's message."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.errors import PolicyError
from serviceflow.policy import yaml_source
from serviceflow.policy.yaml_source import MAX_DOCUMENTS, load_documents

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")

keys = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=6)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def load() -> object:
        try:
            return [(d.data, d.values, d.keys) for d in load_documents(text, "f.yaml")]
        except PolicyError as exc:
            return str(exc)

    fast = load()
    monkeypatch.setattr(yaml_source, "FastLoader", yaml.SafeLoader)
    slow = load()
    monkeypatch.undo()
    return fast, slow


@settings(max_examples=100, deadline=None)
@given(
    documents=st.lists(values, min_size=1, max_size=3),
    style=st.sampled_from([None, False, True]),
    width=st.sampled_from([20, 80]),
)
def test_libyaml_builds_what_python_builds_with_the_same_positions(
    documents: list[object], style: bool | None, width: int
) -> None:
    text = yaml.safe_dump_all(documents, default_flow_style=style, width=width)
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = _both(text, monkeypatch)
    assert fast == slow


@settings(max_examples=100, deadline=None)
@given(text=st.text(st.sampled_from("ab: -[]{},&*!|>'\"\n#%?"), max_size=40))
def test_a_file_that_does_not_parse_gets_the_python_loaders_message(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = _both(text, monkeypatch)
    if isinstance(slow, str) and not isinstance(fast, str):
        return  # libyaml reads what the Python loader refuses (its leniencies: the test below)
    assert fast == slow


def test_libyaml_is_lenient_where_the_python_loader_is_strict() -> None:
    """Found by the property above in CI: a comment right after a block indicator (``>#``, no
    space between, which YAML 1.1 requires) is an empty folded scalar to libyaml and an error to
    the Python loader. Where PyYAML has libyaml, serviceflow reads such a file as libyaml does;
    without it, the Python loader's message names the place."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = _both(">#", monkeypatch)
    assert isinstance(fast, list) and fast[0][0] == ""
    assert isinstance(slow, str) and slow.startswith("f.yaml:1:2: yaml: YAML error: expected chomping")


def test_a_literal_block_keeps_its_style_and_indent() -> None:
    (document,) = load_documents("a: |\n    one\n    two\nb: plain\n", "f.yaml")
    assert document.values[("a",)].style == "|" and document.values[("a",)].indent == 4
    assert document.values[("b",)].style is None


def test_more_documents_than_the_limit_is_that_limit_not_the_values_one() -> None:
    with pytest.raises(PolicyError, match=f"more than {MAX_DOCUMENTS} documents in one file"):
        load_documents("--- {}\n" * 140_000, "f.yaml")
