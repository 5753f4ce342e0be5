"""The records a decision makes (targets, pauses, actions, decisions), built without pydantic's
validation, and proven to be the ones validation would build.

Validating a record whose every value is already of the type validation would produce (a
``float`` for a float field, a tuple for a tuple, an enum member for an enum) yields the same
model: :func:`record` builds it directly, the way ``model_copy`` does (``model_construct`` is
slower than validation). The caller converts what validation would convert (``float(total)``,
``tuple(recipients)``): ``TargetState(total_seconds=14400)`` stores 14400.0, a record given the
int would store 14400 and serialize it so.

That the two are the same is checked, not trusted: with :data:`mode` set to ``"check"`` every
record is also validated and compared (``==``, ``model_dump_json()`` byte for byte, and the
type of every field and of every item of a tuple field); a difference is kept in
:data:`differences` (not raised: ``decide`` turns what it raises into a rule error). With
``"validate"`` every record is validated as before, for a differential run of whole decisions.
tests/engine/test_records.py runs the shipped scenarios and the benchmark's workload both ways.
"""

from __future__ import annotations

import types
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

M = TypeVar("M", bound=BaseModel)

#: ``fast``: built directly; ``check``: built directly and compared with validation;
#: ``validate``: validated (what every record was before).
mode: Literal["fast", "check", "validate"] = "fast"
#: What ``check`` found different, one line each; and how many records it compared.
differences: list[str] = []
compared = [0]

_TEMPLATES: dict[type[BaseModel], dict[str, Any] | None] = {}
_COMBINATIONS = 16  # shared sets kept per class: the steps give a few; others get their own


def _slot_setter(name: str) -> Any:
    """The setter of one of ``BaseModel``'s own slots: its member descriptor's ``__set__``
    (what ``object.__setattr__`` finds for the name, without the generic lookup on every
    record: a record sets three of them). ``object.__setattr__`` bound to the name where the
    slot is not a member descriptor (another pydantic's layout).

    pydantic 2's ``BaseModel`` declares ``__slots__ = '__dict__', '__pydantic_fields_set__',
    '__pydantic_extra__', '__pydantic_private__'`` (pydantic/main.py; 2.14.4 here), and a name in
    ``__slots__`` is a member descriptor whose ``__set__`` stores into the instance's slot (the
    Python docs' Descriptor HowTo Guide, "Member objects and __slots__")."""
    slot = BaseModel.__dict__.get(name)
    if type(slot) is _MEMBER:
        return slot.__set__

    def setter(model: BaseModel, value: Any) -> None:
        object.__setattr__(model, name, value)

    return setter


_MEMBER = types.MemberDescriptorType
_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


def record(cls: type[M], /, **fields: Any) -> M:
    """``cls(**fields)`` without validation: every value must be of its field's exact type.

    A class built directly could differ from its validated self (a validator, a default factory,
    private or extra attributes): such a class is validated, always (:func:`direct`).
    """
    if mode == "validate":  # record_of's body, inline: one call fewer for every record
        return cls(**fields)
    template = _TEMPLATES.get(cls, _MISSING)
    if template is _MISSING:
        template = _TEMPLATES[cls] = _template(cls)
    if template is None:
        return cls(**fields)
    return _build(cls, template, fields)


def record_of(cls: type[M], fields: dict[str, Any], /) -> M:
    """:func:`record` of a dict of the fields that the caller gathered (read, not kept): for
    :meth:`Run.act`, whose keywords would otherwise be gathered into a dict twice."""
    if mode == "validate":
        return cls(**fields)
    template = _TEMPLATES.get(cls, _MISSING)
    if template is _MISSING:
        template = _TEMPLATES[cls] = _template(cls)
    if template is None:
        return cls(**fields)
    return _build(cls, template, fields)


_MISSING: Any = object()


def record_past_validators(cls: type[M], /, **fields: Any) -> M:
    """:func:`record` of a class whose validators change nothing of ``fields``: built directly
    all the same (its other checks as :func:`record`'s: no private or extra attributes, no
    default factories, frozen; else validated). For CaseState's new case (its validators only
    bring forms of older stored cases up to date: ``notified`` strings, a version read from the
    decisions when none is given); in ``check`` mode compared with validation like any record."""
    if mode == "validate":
        return cls(**fields)
    template = _UNCHECKED.get(cls, _MISSING)
    if template is _MISSING:
        template = _UNCHECKED[cls] = _template(cls, validators=False)
    if template is None:
        return cls(**fields)
    return _build(cls, template, fields)


_UNCHECKED: dict[type[BaseModel], dict[str, Any] | None] = {}


#: The fields-set of the records of a (frozen) class, one set per combination of fields given,
#: shared by every record built with that combination: a set per record was a third of the
#: objects a case holds (36 of 107 per case in bench_engine's workload), each one more for the
#: garbage collector to track and traverse. A frozen model's set is never changed in place
#: (pydantic's copies copy it before they add to it; ``updated`` shares it likewise).
_FIELDS_SETS: dict[type[BaseModel], list[set[str]]] = {}


def _build(cls: type[M], template: dict[str, Any], fields: dict[str, Any]) -> M:
    built = object.__new__(cls)
    values = built.__dict__  # made empty with the instance: filled in place, not set (a
    values.update(template)  # call of object.__setattr__ costs more than the read)
    values.update(fields)
    given = fields.keys()
    for fields_set in _FIELDS_SETS[cls]:  # one or two combinations per class
        if given == fields_set:
            break
    else:
        fields_set = set(fields)
        if len(_FIELDS_SETS[cls]) < _COMBINATIONS:
            _FIELDS_SETS[cls].append(fields_set)
    _set_fields_set(built, fields_set)
    _set_extra(built, None)
    _set_private(built, None)
    if mode == "check":
        _compare(cls, fields, built)
    return built


def direct(cls: type[BaseModel]) -> bool:
    """Whether :func:`record` builds ``cls`` directly (else it validates it)."""
    if cls not in _TEMPLATES:
        _TEMPLATES[cls] = _template(cls)
    return _TEMPLATES[cls] is not None


def _template(cls: type[BaseModel], *, validators: bool = True) -> dict[str, Any] | None:
    """Every field in order, with its default (required ones with ``PydanticUndefined``); None
    for a class that validation could make otherwise than a direct build (it is validated).
    ``validators=False``: the caller knows the class's validators leave its fields as they are
    (:func:`record_past_validators`)."""
    decorators = cls.__pydantic_decorators__
    if cls.__private_attributes__ or cls.model_config.get("extra") == "allow":
        return None
    if validators and (
        decorators.field_validators
        or decorators.model_validators
        or decorators.validators
        or decorators.root_validators
    ):
        return None
    if any(info.default_factory is not None for info in cls.model_fields.values()):
        return None
    if not cls.model_config.get("frozen"):
        return None  # a set of a model that can change is changed in place: never shared
    _FIELDS_SETS.setdefault(cls, [])
    return {name: info.default for name, info in cls.model_fields.items()}  # in field order


def _compare(cls: type[BaseModel], fields: dict[str, Any], built: BaseModel) -> None:
    compared[0] += 1
    try:
        validated = cls(**fields)
    except Exception as exc:  # validation refuses what was built: a difference too
        differences.append(f"{cls.__name__}: validation refuses {fields!r}: {exc}")
        return
    problems = []
    missing = [n for n, v in built.__dict__.items() if v is PydanticUndefined]
    if missing:
        problems.append(f"required fields not given: {missing}")
    if validated != built:
        problems.append("== differs")
    if validated.model_dump_json() != built.model_dump_json():
        problems.append(f"JSON differs: {validated.model_dump_json()} != {built.model_dump_json()}")
    if validated.model_fields_set != built.model_fields_set:
        problems.append("fields set differ")
    for name in cls.model_fields:
        want, got = _shape(getattr(validated, name)), _shape(getattr(built, name))
        if want != got:
            problems.append(f"{name}: {got} where validation makes {want}")
    if problems:
        differences.append(f"{cls.__name__}({fields!r}): {'; '.join(problems)}")


def _shape(value: Any) -> object:
    """A value's type, and for a tuple its items' types."""
    if isinstance(value, tuple):
        return (tuple, tuple(_shape(item) for item in value))
    return type(value)


def updated(model: M, changes: dict[str, Any], /) -> M:
    """``model.model_copy(update=changes)`` (which validates nothing either), without the layers
    of pydantic's copy: a new model of ``model``'s values with ``changes`` over them."""
    built = object.__new__(type(model))
    values = built.__dict__  # filled in place, as in _build
    values.update(model.__dict__)
    values.update(changes)
    # Changes of fields set already leave the set as it is: it is shared then, not copied (a
    # frozen model's set is never changed in place: pydantic's copies copy it first).
    fields_set = model.__pydantic_fields_set__
    if not changes.keys() <= fields_set:
        key = (id(fields_set), *changes)
        union = _UNIONS.get(key)
        if union is None:
            union = _shared(type(model), fields_set | changes.keys())
            _remember_union(type(model), key, fields_set, union)
        fields_set = union
    _set_fields_set(built, fields_set)
    _set_extra(built, None)
    _set_private(built, None)
    if mode == "check":
        _compare_copy(model, changes, built)
    return built


#: The shared set that a shared set becomes with more fields (:func:`updated` of a change of
#: fields not set yet, as a target's first pause or breach), by the ``id`` of the set and the
#: fields changed: the union and the search of the class's shared sets for it were a fifth of
#: an update. Only shared sets are keys: they live as long as the process (:data:`_FIELDS_SETS`
#: never lets one go), so no other set can come to have the id. Bounded: cleared when full.
_UNIONS: dict[tuple[object, ...], set[str]] = {}
_UNIONS_KEPT = 1024


def _remember_union(cls: type[BaseModel], key: tuple[object, ...], before: set[str], union: set[str]) -> None:
    shared = _FIELDS_SETS.get(cls, ())
    if any(known is before for known in shared) and any(known is union for known in shared):
        if len(_UNIONS) >= _UNIONS_KEPT:
            _UNIONS.clear()
        _UNIONS[key] = union


def _shared(cls: type[BaseModel], fields_set: set[str]) -> set[str]:
    """The shared set equal to ``fields_set`` for a frozen class (see :data:`_FIELDS_SETS`)."""
    shared = _FIELDS_SETS.get(cls)
    if shared is None:
        if not cls.model_config.get("frozen"):
            return fields_set  # a model that can change keeps its own
        shared = _FIELDS_SETS.setdefault(cls, [])
    for known in shared:
        if known == fields_set:
            return known
    if len(shared) < _COMBINATIONS:
        shared.append(fields_set)
    return fields_set


def _compare_copy(model: BaseModel, changes: dict[str, Any], built: BaseModel) -> None:
    compared[0] += 1
    copied = model.model_copy(update=changes)
    if model.model_config.get("extra") == "allow" or model.__pydantic_private__:
        differences.append(f"{type(model).__name__}: private or extra attributes, copy it")
    if copied != built or copied.model_fields_set != built.model_fields_set:
        differences.append(f"{type(model).__name__}: updated({changes!r}) differs from model_copy")
    elif copied.model_dump_json() != built.model_dump_json():
        differences.append(f"{type(model).__name__}: updated({changes!r}) serializes otherwise")
