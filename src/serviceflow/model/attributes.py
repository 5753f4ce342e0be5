"""Plain attribute reads for the domain models: past pydantic's ``__getattr__`` hook.

pydantic v2's ``BaseModel`` defines ``__getattr__`` (for private attributes and extras). A class
whose MRO defines ``__getattr__`` gets CPython's ``slot_tp_getattr_hook`` as its ``tp_getattro``
(Objects/typeobject.c, ``update_one_slot``: any ``__getattr__`` found makes the slot the generic
hook), and on CPython 3.11 the interpreter does not specialize ``LOAD_ATTR`` for a type whose
``tp_getattro`` is not ``PyObject_GenericGetAttr`` (Python/specialize.c; 3.12 learnt to,
python/cpython#93988): every read of a model's field, ``__dict__`` included, went the slow
generic way. Measured (benchmarks/RESULTS.md, engine11): 6.4 % of a decision's instructions.

For a class with no private attributes and no extras (``extra`` not ``"allow"``), pydantic's
``__getattr__`` only ever raises the ``AttributeError`` that the generic lookup raises, with the
same message (``'X' object has no attribute 'y'``): the hook is reached only when the normal
lookup failed, and then it finds nothing in ``__private_attributes__`` (empty) nor in
``__pydantic_extra__`` (None), and re-runs the normal lookup. :func:`plain_reads` gives such a
class CPython's generic ``tp_getattro``, after checking where the slot is (a class without
``__getattr__`` must hold ``PyObject_GenericGetAttr`` there and one with it something else);
anything unexpected (another interpreter, another layout) leaves the class as it was. A class
derived later is built by CPython with the hook again (it is slower, never wrong), and so is
this class if a slot's dunder is ever set on it.
"""

from __future__ import annotations

import ctypes
import sys

from pydantic import BaseModel

#: The offset of ``tp_getattro`` in ``PyTypeObject`` (Include/cpython/object.h): after the
#: header (refcount, type, size) and tp_name .. tp_str, 18 pointer-sized fields in all.
_OFFSET = 18 * ctypes.sizeof(ctypes.c_void_p)
_GENERIC: int | None = None  # PyObject_GenericGetAttr's address, once the layout is confirmed
_checked = False


def _slot(cls: type) -> ctypes.c_void_p:
    return ctypes.c_void_p.from_address(id(cls) + _OFFSET)


def _generic() -> int | None:
    """``PyObject_GenericGetAttr``'s address if ``tp_getattro`` is where it is expected."""
    global _GENERIC, _checked
    if _checked:
        return _GENERIC
    _checked = True
    if sys.implementation.name != "cpython":
        return None
    generic = ctypes.cast(ctypes.pythonapi.PyObject_GenericGetAttr, ctypes.c_void_p).value

    class Plain:
        pass

    class Hooked:
        def __getattr__(self, name: str) -> object:
            raise AttributeError(name)

    if generic and _slot(Plain).value == generic and _slot(Hooked).value not in (None, generic):
        _GENERIC = generic
    return _GENERIC


def qualifies(cls: type[BaseModel]) -> bool:
    """Whether pydantic's ``__getattr__`` can only raise for ``cls``'s instances."""
    return not cls.__private_attributes__ and cls.model_config.get("extra") != "allow"


def plain_reads(cls: type[BaseModel]) -> bool:
    """Give ``cls`` the generic attribute lookup if it qualifies; whether it has it now."""
    generic = _generic()
    if generic is None or not qualifies(cls):
        return False
    if _slot(cls).value != generic:
        _slot(cls).value = generic
        ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))  # drop what was cached for it
    return True


def has_plain_reads(cls: type) -> bool:
    """Whether ``cls``'s attribute lookup is CPython's generic one (for the tests)."""
    generic = _generic()
    return generic is not None and _slot(cls).value == generic
