"""Evaluating a decision's rules: one activation per decision, and no rule error escapes.

A CEL error on one ticket never crashes the engine: it is recorded with the rule that raised it,
and the caller's safe default is used instead. Conditions that a field's value already rules out
(``event.kind == "created" && ...`` on a reply) are not run at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from serviceflow.cel import CelEnvironment, Expression
from serviceflow.cel.values import _field_names, _sort_of, model_to_plain, to_plain
from serviceflow.errors import CelEvaluationError

K = TypeVar("K")
V = TypeVar("V")

_ABSENT = object()
_UNSEEN = object()  # not looked up yet (where _ABSENT is a value: the path leads nowhere)


#: What is derived once from a path or an expression's paths (its root, its parts, what it
#: reads by variable), kept in plain dicts read inline: an ``lru_cache`` call costs more than
#: the derivation's lookup, and these run several times per condition. Bounded: cleared when
#: full (the policy sets' paths refill them).
_KEPT = 4096
_PARTS: dict[str, tuple[str, tuple[str, ...]]] = {}
_READS: dict[tuple[str, ...], tuple[tuple[str, tuple[tuple[str, ...], ...] | None], ...]] = {}
_FIELDS: dict[type, frozenset[str] | None] = {}  # a model class's field names; None: no model


def _keep(kept: dict[K, V], key: K, value: V) -> V:
    if len(kept) >= _KEPT:
        kept.clear()
    kept[key] = value
    return value


def _parts(path: str) -> tuple[str, tuple[str, ...]]:
    root, _, rest = path.partition(".")
    return _keep(_PARTS, path, (root, tuple(rest.split(".")) if rest else ()))


def _reads(paths: tuple[str, ...]) -> tuple[tuple[str, tuple[tuple[str, ...], ...] | None], ...]:
    """What an expression reads, by variable: None when it reads the variable whole, else the
    field paths within it (a path under another that is read whole is left out)."""
    found = _READS.get(paths)
    if found is not None:
        return found
    by_root: dict[str, list[tuple[str, ...]] | None] = {}
    for path in sorted(paths):  # a path sorts before the paths under it
        root, parts = _parts(path)
        if not parts:
            by_root[root] = None
            continue
        known = by_root.setdefault(root, [])
        if known is None or any(parts[: len(other)] == other for other in known):
            continue
        known.append(parts)
    return _keep(_READS, paths, tuple((root, None if f is None else tuple(f)) for root, f in by_root.items()))


def _model_fields(kind: type) -> frozenset[str] | None:
    """A model class's field names (None for any other type), found once per type."""
    if kind in _FIELDS:
        return _FIELDS[kind]
    names = _FIELDS[kind] = frozenset(_field_names(kind)) if _sort_of(kind) == "model" else None
    return names


def _field(value: Any, name: str) -> Any:
    """One step along a path, as the conversion to plain values sees it (None: absent)."""
    kind: type = type(value)
    if kind is dict and name in value:
        found = value[name]
    elif (names := _FIELDS[kind] if kind in _FIELDS else _model_fields(kind)) is not None:
        found = value.__dict__.get(name) if name in names else None
    else:  # another mapping, keys that are not strings, or no mapping at all: as converted
        plain = to_plain(value)
        found = plain.get(name) if isinstance(plain, dict) else None
    return _ABSENT if found is None else found


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a plain value, equal exactly when the values are."""
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", *(_freeze(v) for v in value))
    return (type(value).__name__, value) if value is not _ABSENT else ("absent",)


class ResultCache:
    """Results of expressions by the values they read. CEL is pure: the same inputs give the
    same answer, so a condition over fields that did not change is not evaluated again."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self.results: dict[Any, Any] = {}
        self.hits = 0

    def store(self, key: Any, value: Any) -> None:
        if len(self.results) >= self.size:
            self.results.clear()  # simple and bounded; refills with what is hot
        self.results[key] = value


@dataclass(frozen=True)
class RuleError:
    policy: str
    rule: str
    message: str
    default: str

    def __str__(self) -> str:
        return f"{self.policy}/{self.rule}: {self.message} (used: {self.default})"


class Evaluator:
    """Evaluates compiled expressions against one set of variables, counting evaluations.

    A plain class with slots, its fields set by hand: one is made for every decision, and a
    dataclass's ``__init__`` with its default factories and ``__post_init__`` cost about a
    microsecond of it."""

    __slots__ = (
        "environment", "values", "errors", "counter", "cache",
        "_plain", "_converted", "_tested", "_lazy", "_full", "_paths", "_frozen_paths",
    )  # fmt: skip

    def __init__(
        self,
        environment: CelEnvironment,
        values: dict[str, Any],
        errors: list[RuleError] | None = None,
        counter: list[int] | None = None,  # shared with child evaluators
        cache: ResultCache | None = None,
    ) -> None:
        self.environment = environment
        self.values = values
        self.errors: list[RuleError] = [] if errors is None else errors
        self.counter: list[int] = [0] if counter is None else counter
        self.cache = cache
        # Variables are converted when an expression first needs them, once per decision: most
        # decisions never read `case`, and many conditions are ruled out on `event.kind` alone.
        self._plain: dict[str, Any] = {}
        self._converted: dict[str, Any] = {}
        self._tested: dict[int, bool] = {}  # conditions' results by expression, for these values
        self._lazy: bool = environment.merges_activations
        self._full: Any = None
        self._paths: dict[str, Any] = {}  # path -> plain value, for requirements and cache keys
        self._frozen_paths: dict[str, Any] = {}  # path -> its value frozen, for cache keys

    def __repr__(self) -> str:
        return f"Evaluator(values={sorted(self.values)!r}, errors={self.errors!r})"

    def plain(self, name: str) -> Any:
        """The CEL-ready plain value of a variable (converted on first use)."""
        if name not in self._plain:
            value = self.values.get(name)
            if callable(value):  # built only when an expression reads it, e.g. the case view
                value = self.values[name] = value()
            if name == "event" and value is not None and value.ticket is self.values.get("ticket"):
                converted = model_to_plain(value, without="ticket")
                converted["ticket"] = self.plain("ticket")  # one conversion, shared
                self._plain[name] = converted
            else:
                self._plain[name] = to_plain(value)
        return self._plain[name]

    def with_values(self, **extra: Any) -> Evaluator:
        """Another evaluator with more variables (an agent, a remedy), sharing the error list."""
        child = Evaluator.__new__(Evaluator)
        child.environment = self.environment
        child.values = {**self.values, **extra}
        child.errors = self.errors
        child.counter = self.counter
        child.cache = self.cache
        child._plain = dict(self._plain)
        child._converted = dict(self._converted)
        child._tested = {}
        child._lazy = self._lazy
        child._full = None
        # The paths read so far are not carried over (filtering them by root cost more than the
        # few that a child's expression reads again, e.g. an owner rule's ``only`` per agent).
        child._paths = {}
        child._frozen_paths = {}
        return child

    def _activation(self, expression: Expression) -> Any:
        if not self._lazy:  # a backend whose activations cannot be merged: convert everything
            if self._full is None:
                self._full = self.environment.backend.activation(
                    {name: self.plain(name) for name in self.values}
                )
            return self._full
        # Only what the expression reads: a variable it reads whole is converted once per
        # decision and shared; of the others, just the fields on its paths (`event.kind` and
        # `event.body`, not the whole event with its ticket), shaped as the whole conversion is.
        activation: dict[str, Any] = {}
        partial: dict[str, Any] = {}
        for root, parts in _READS.get(expression.paths) or _reads(expression.paths):
            if root not in self.values:
                continue
            if parts is None:
                if root not in self._converted:
                    converted = self.environment.backend.activation({root: self.plain(root)})
                    self._converted[root] = converted[root]
                activation[root] = self._converted[root]
            else:
                partial[root] = self._fields(root, parts)
        if partial:
            activation.update(self.environment.backend.activation(partial))
        return activation

    def _fields(self, root: str, paths: tuple[tuple[str, ...], ...]) -> Any:
        """The plain map of ``root`` restricted to ``paths``: each step that exists is a map
        holding what the whole conversion holds there (a field that is None is left out; a
        variable that is None stays None)."""
        if root in self._plain:
            base: Any = self._plain[root]
        else:
            base = self.values[root]
            if callable(base):
                base = self.values[root] = base()
        if base is None:
            return None
        top: dict[str, Any] = {}
        for parts in paths:
            value, node = base, top
            for position, part in enumerate(parts):
                value = _field(value, part)
                if value is _ABSENT:
                    break
                if position == len(parts) - 1:
                    node[part] = to_plain(value)
                else:
                    node = node.setdefault(part, {})
        return top

    def _run(self, expression: Expression) -> Any:
        key = None
        if self.cache is not None:
            frozen = self._frozen_paths
            # A frozen value is a non-empty tuple: never falsy, so `or` only fills in what is new.
            key = (id(expression), tuple([frozen.get(p) or self._frozen(p) for p in expression.paths]))
            found = self.cache.results.get(key, _ABSENT)
            if found is not _ABSENT:
                self.cache.hits += 1
                return found
        self.counter[0] += 1
        value = expression.evaluate(self._activation(expression))
        if key is not None:
            assert self.cache is not None  # a key is only made when there is a cache
            self.cache.store(key, value)
        return value

    def _frozen(self, path: str) -> Any:
        frozen = self._frozen_paths[path] = _freeze(self._at(path))
        return frozen

    def _at(self, path: str) -> Any:
        """The plain value at a path, read from the models themselves (no full conversion);
        looked up once per decision (the first read resolves it, inline: this is the reader
        every decided condition calls)."""
        value: Any = self._paths.get(path, _UNSEEN)
        if value is not _UNSEEN:
            return value
        root, parts = _PARTS.get(path) or _parts(path)
        if root not in self.values:
            self._paths[path] = _ABSENT
            return _ABSENT
        if root in self._plain:
            value = self._plain[root]
        else:
            value = self.values[root]
            if callable(value):
                value = self.values[root] = value()
        for part in parts:  # map keys and model fields only, as the conversion sees them: a
            # path on through a string or a list (``ticket.custom_fields.x.title``) is absent,
            # and CEL says what it is (never a Python attribute of the value).
            # _field's step, inline for a model's field (the common step): one call fewer.
            kind: type = type(value)
            names = _FIELDS[kind] if kind in _FIELDS else _model_fields(kind)
            if names is not None:  # a model (a dict, or anything else: _field)
                value = value.__dict__.get(part) if part in names else None
                if value is None:
                    value = _ABSENT
            else:
                value = _field(value, part)
            if value is _ABSENT:
                self._paths[path] = _ABSENT
                return _ABSENT
        value = self._paths[path] = to_plain(value)
        return value

    def _ruled_out(self, expression: Expression) -> bool:
        """A field the expression requires has another value: it is false without running."""
        paths = self._paths
        for path, allowed in expression.requires.items():
            value = paths.get(path, _UNSEEN)
            if value is _UNSEEN:
                value = self._at(path)
            if isinstance(value, str) and value not in allowed:
                return True
        return False

    def record(self, policy: str, rule: str, message: str, default: str | None) -> None:
        """Record a rule error; ``default`` says what was used instead."""
        self.errors.append(RuleError(policy, rule, message, default or "nothing"))

    def value(self, expression: Expression) -> Any:
        """The expression's value, or CelEvaluationError."""
        return self._run(expression)

    def text(self, expression: Expression, *, policy: str, rule: str) -> str | None:
        """A string's value; None (recorded as an error) when it fails or is not a string."""
        try:
            value = self._run(expression)
        except CelEvaluationError as exc:
            self.errors.append(RuleError(policy, rule, exc.message, "the default"))
            return None
        if not isinstance(value, str):
            self.errors.append(
                RuleError(policy, rule, f"yielded {type(value).__name__}, not a string", "the default")
            )
            return None
        return value

    def test(self, expression: Expression, *, policy: str, rule: str, default: bool = False) -> bool:
        """A condition's value; ``default`` (recorded as an error) when it fails or is not a bool."""
        ident = id(expression)  # found once: a call of a builtin each time
        known = self._tested.get(ident)
        if known is not None:
            return known  # the same condition, on the same values, earlier in this decision
        decider = expression.decider
        if decider is not None:
            decided = decider(self._at)
            if decided is not None:  # nothing but comparisons of string fields: no CEL to run
                self._tested[ident] = decided
                return decided
        if expression.requires and self._ruled_out(expression):
            self._tested[ident] = False
            return False
        try:
            value = self._run(expression)
        except CelEvaluationError as exc:
            self.errors.append(RuleError(policy, rule, exc.message, str(default).lower()))
            return default
        if not isinstance(value, bool):
            self.errors.append(
                RuleError(policy, rule, f"yielded {type(value).__name__}, not bool", str(default).lower())
            )
            return default
        self._tested[ident] = value
        return value

    def moment(
        self, expression: Expression, *, policy: str, rule: str, base: datetime
    ) -> datetime | timedelta | None:
        """A duration or timestamp; None (recorded as an error) when it fails."""
        try:
            value = self._run(expression)
        except CelEvaluationError as exc:
            self.errors.append(RuleError(policy, rule, exc.message, "the rule is skipped"))
            return None
        if isinstance(value, timedelta | datetime):
            return value
        self.errors.append(
            RuleError(policy, rule, f"yielded {type(value).__name__}, not a duration", "skipped")
        )
        return None
