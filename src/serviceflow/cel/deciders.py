"""Conditions (see :func:`serviceflow.cel.analysis.decided`) compiled into closures that answer
them from field values, so that the engine runs no CEL for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serviceflow.cel.analysis import Condition, whole

#: A compiled :data:`Condition`: given a reader of a field's plain value by path (an absent
#: field is any value of no kind a comparison takes), the condition's value, or None when CEL
#: must say.
Decider = Callable[[Callable[[str], Any]], "bool | None"]


def _undecided(_at: Callable[[str], Any]) -> bool | None:
    return None


def _always(_at: Callable[[str], Any]) -> bool | None:
    return True


def _never(_at: Callable[[str], Any]) -> bool | None:
    return False


def decider(condition: Condition) -> Decider:
    """The condition compiled once into nested closures, so that answering it in a decision is
    a few calls rather than a walk of the tuple that matches its kind by string at every node.

    Its value is, for every reader, what the tuple says: ``is`` compares a string field with its
    literals (anything but a string: None); ``flag`` is a bool field; ``has`` a string in a list
    of strings; ``all`` and ``any`` are settled by the first side that settles them (``false``,
    ``true``), else None if any side was None, as CEL's own ``&&`` and ``||`` are; ``not``
    negates; ``text`` is Python's ``startswith``, ``endswith`` or ``in`` on a string field (anything
    else, or a string a backend would not see whole: None); ``match`` is RE2's search for the
    pattern, compiled once, on such a string (a pattern RE2 refuses: None, and CEL says why);
    ``cel`` is None.
    """
    kind = condition[0]
    if kind == "is":
        return _is(condition[1], condition[2], condition[3])
    if kind == "all" or kind == "any":
        return _junction(tuple(decider(part) for part in condition[1]), settles=kind == "any")
    if kind == "not":
        return _negation(decider(condition[1]))
    if kind == "flag":
        return _flag(condition[1])
    if kind == "has":
        return _has(condition[1], condition[2])
    if kind == "text":
        return _text(condition[1], condition[2], condition[3])
    if kind == "match":
        return _match(condition[1], condition[2])
    return _undecided


def _is(path: str, allowed: Any, wanted: bool) -> Decider:
    if wanted:

        def among(at: Callable[[str], Any]) -> bool | None:
            value = at(path)
            return value in allowed if isinstance(value, str) else None

        return among

    def outside(at: Callable[[str], Any]) -> bool | None:
        value = at(path)
        return value not in allowed if isinstance(value, str) else None

    return outside


def _junction(parts: tuple[Decider, ...], *, settles: bool) -> Decider:
    if not parts:
        return _never if settles else _always
    if len(parts) == 1:
        return parts[0]  # settled by its one side, or open as it is

    def junction(at: Callable[[str], Any]) -> bool | None:
        result: bool | None = not settles
        for part in parts:
            found = part(at)
            if found is settles:
                return settles
            if found is None:
                result = None
        return result

    return junction


def _negation(inner: Decider) -> Decider:
    def negation(at: Callable[[str], Any]) -> bool | None:
        found = inner(at)
        return None if found is None else not found

    return negation


def _flag(path: str) -> Decider:
    def flag(at: Callable[[str], Any]) -> bool | None:
        value = at(path)
        return value if type(value) is bool else None

    return flag


def _has(path: str, item: str) -> Decider:
    def has(at: Callable[[str], Any]) -> bool | None:
        value = at(path)
        if type(value) is not list:
            return None
        for entry in value:  # a loop, not all() over a generator: no function made per test
            if type(entry) is not str:
                return None
        return item in value

    return has


def _text(path: str, method: str, literal: str) -> Decider:
    # one closure per method, each a test inline: this runs on every decision reading the condition
    if method == "startsWith":

        def starts(at: Callable[[str], Any]) -> bool | None:
            value = at(path)
            if type(value) is str and whole(value):
                return value.startswith(literal)
            return None

        return starts
    if method == "endsWith":

        def ends(at: Callable[[str], Any]) -> bool | None:
            value = at(path)
            if type(value) is str and whole(value):
                return value.endswith(literal)
            return None

        return ends

    def contains(at: Callable[[str], Any]) -> bool | None:
        value = at(path)
        if type(value) is str and whole(value):
            return literal in value
        return None

    return contains


def _match(path: str, pattern: str) -> Decider:
    """CEL's ``matches`` is RE2's unanchored search with RE2's default options on both backends:
    cel-cpp builds ``RE2 re2(regex)`` and answers ``RE2::PartialMatch(target, re2)``
    (runtime/standard/regex_functions.cc; an error only for a pattern RE2 refuses, or one over
    ``regex_max_program_size``, 0 by default: no bound), cel-python ``re2.search(pattern, text)``
    (google-re2, celpy/evaluation.py ``function_matches``). Here the same search runs with the
    pattern compiled once, where cel-cpp compiles it on every evaluation. cel-expr-python's own
    runtime options are UNVERIFIED beyond that default; tests/engine/test_decided_conditions.py
    holds the answers to both backends'."""
    import re2  # type: ignore[import-untyped]  # google-re2, which cel-python's matches() runs on

    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr; matching is the same
    try:
        search = re2.compile(pattern, options).search
    except re2.error:
        return _undecided  # CEL reports the pattern's error, as it always has

    def matches(at: Callable[[str], Any]) -> bool | None:
        value = at(path)
        if type(value) is str and whole(value):
            return search(value) is not None
        return None

    return matches
