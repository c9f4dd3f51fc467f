"""The types of the parameter layer (:mod:`osa_lib.book.harness.parameters`): a parameter, a chapter, the error,
and the conversion of a value as papermill, YAML or Python hands it over."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class ParameterError(ValueError):
    """An invalid notebook parameter: the message names the parameter, the value and what is allowed."""


@dataclass(frozen=True)
class Param:
    """One notebook parameter.

    ``kind``: ``str``, ``path``, ``int``, ``float``, ``bool``, ``ints`` / ``floats`` (non-empty
    lists) or ``dict``. ``default`` is the notebook's literal default; when it is None and
    ``profile_key`` is set, the chapter's profile table gives the value (``profile_default``).
    ``optional``: None is allowed. ``choices``: allowed values; ``minimum``/``maximum``: bounds
    of a number or of every list item. ``data_key``: the value may not exceed that size of the
    data set (:data:`osa_lib.book.harness.parameters.DATA_SIZES`).
    """

    name: str
    kind: str
    default: Any
    meaning: str
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False
    profile_key: str | None = None
    data_key: str | None = None

    def allowed(self) -> str:
        """What is allowed, in words."""
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            text = {"str": "a string", "path": "a path", "int": "an integer", "float": "a number",
                    "bool": "True or False", "ints": "a non-empty list of integers",
                    "floats": "a non-empty list of numbers", "dict": "a mapping such as {'a': 1}"}[self.kind]
            if self.kind == "str" and self.name == "device":
                text = "a torch device such as 'cpu', 'cuda' or 'cuda:1'"
            bounds = []
            if self.minimum is not None:
                bounds.append(f">= {self.minimum:g}")
            if self.maximum is not None:
                bounds.append(f"<= {self.maximum:g}")
            if bounds:
                text += (" with every item " if self.kind in ("ints", "floats") else " ") + " and ".join(bounds)
        if self.optional:
            text += ", or None" + (" (the profile's value)" if self.profile_key else "")
        return text


@dataclass(frozen=True)
class Chapter:
    """A notebook's parameters, its profile table and the data set its records go to."""

    name: str
    notebook: str
    params: tuple
    profiles: Callable[[], Mapping[str, Mapping]] | None = None
    dataset: Callable[[Mapping], str] | None = None
    derive: Callable[[dict, str | None], dict] | None = field(default=None)

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


def _fail(p: Param, value, why: str = "") -> ParameterError:
    return ParameterError(f"parameter {p.name!r} got {value!r}{': ' + why if why else ''}; allowed: {p.allowed()}")


def _literal(text: str):
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    try:
        import yaml
        return yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - any YAML error means "not a literal"
        return text


def _number(p: Param, value, integer: bool):
    original = value
    if isinstance(value, str):
        value = _literal(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise _fail(p, original)
    if integer:
        if float(value) != int(value):
            raise _fail(p, original, "not a whole number")
        value = int(value)
    else:
        value = float(value)
    if p.minimum is not None and value < p.minimum:
        raise _fail(p, original)
    if p.maximum is not None and value > p.maximum:
        raise _fail(p, original)
    return value


def as_sequence(value):
    """A list as papermill's ``-p`` hands it over (``"[0, 1]"``, ``"0, 1"``, ``"0 1"``), as YAML, as a
    Python sequence or as one bare number: a list. Anything else (a set, a dict, a word) is returned
    unchanged for the caller to refuse."""
    if isinstance(value, str):
        value = _literal(value)
        if isinstance(value, str) and value.strip()[:1] not in "[(" and value.strip()[-1:] not in "])":
            value = [_literal(v) for v in re.split(r"[,\s]+", value.strip()) if v]     # "0, 1" or "0 1"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def _items(p: Param, value) -> list:
    original = value
    value = as_sequence(value)
    if not isinstance(value, list):
        raise _fail(p, original)
    if not value:
        raise _fail(p, original, "the list is empty")
    item = Param(p.name, "int" if p.kind == "ints" else "float", None, p.meaning, minimum=p.minimum,
                 maximum=p.maximum)
    try:
        return [_number(item, v, p.kind == "ints") for v in value]
    except ParameterError:
        raise _fail(p, original) from None


def convert(p: Param, value):
    """``value`` as ``p`` takes it (a string from papermill's ``-p`` included); ParameterError when invalid."""
    __tracebackhide__ = True      # IPython shows the message, not this module's frames
    if value is None or (isinstance(value, str) and value.strip() == "None"):
        if p.optional or p.default is None:
            return None
        raise _fail(p, value)
    if p.kind in ("str", "path"):
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise _fail(p, value)
        if p.choices and value not in p.choices:
            raise _fail(p, value)
        if p.name == "device" and not _DEVICE.match(value):
            raise _fail(p, value)
        return value
    if p.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise _fail(p, value)
    if p.kind in ("int", "float"):
        return _number(p, value, p.kind == "int")
    if p.kind in ("ints", "floats"):
        return _items(p, value)
    if p.kind == "dict":
        parsed = _literal(value) if isinstance(value, str) else value
        if not isinstance(parsed, Mapping):
            raise _fail(p, value)
        return dict(parsed)
    raise ValueError(f"unknown kind {p.kind!r} of parameter {p.name!r}")
