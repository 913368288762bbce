"""Turn pydantic validation errors into (key path, message) pairs a person can act on."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError


def format_validation_error(error: ValidationError, root: type[BaseModel]) -> list[tuple[str, str]]:
    """One entry per distinct key: the dotted path, the bad value and what is allowed."""
    merged: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        loc = _clean_loc(item["loc"])
        path = _dotted(loc)
        message = _message(item, loc, root)
        merged.setdefault(path, [])
        if message not in merged[path]:
            merged[path].append(message)
    return [(path or "(top level)", " or ".join(messages)) for path, messages in merged.items()]


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop pydantic's union-branch tags (``function-after[...]``, ``literal['x']``) from a location."""
    return tuple(part for part in loc if not (isinstance(part, str) and ("[" in part or "(" in part)))


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(item: Any, loc: tuple[int | str, ...], root: type[BaseModel]) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        allowed = _field_names(root, loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
        return f"unknown key {name!r}{hint}"
    if kind == "missing":
        return "is required"
    message = str(item["msg"])
    message = message.removeprefix("Value error, ")
    value = item.get("input")
    if isinstance(value, dict | list):
        return message
    return f"{message} (got {value!r})"


def _field_names(root: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    model = _model_at(root, loc)
    return list(model.model_fields) if model is not None else []


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The configuration model found by following ``loc`` from ``root``, if the path leads to one."""
    current: Any = root
    parts = list(loc)
    while parts:
        current = unwrap_annotation(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(parts.pop(0)))
            if field is None:
                return None
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin in (dict, typing.Mapping) or (origin is not None and getattr(origin, "__name__", "") == "Mapping"):
            parts.pop(0)
            current = args[1] if len(args) == 2 else None
        elif origin in (list, tuple):
            parts.pop(0)
            current = args[0] if args else None
        else:
            return None
    current = unwrap_annotation(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def unwrap_annotation(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the one model type they wrap, if any (None for a union of
    several plain types)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            candidates = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else (candidates[0] if len(candidates) == 1 else None)
        else:
            return annotation
