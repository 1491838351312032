"""Type-metadata introspection for llemc's lifts.

Loaded by `miners/live/src/bridge.rs` as the module `llemc_lifts`. `inspect_class` reads what a
class *declares* about its constructor fields and returns plain JSON facts; the Rust side
(`miners/live/src/lifts`) turns the facts into rules. Nothing here constructs the class.

Understood: pydantic v2 models and pydantic dataclasses (`model_fields` /
`__pydantic_fields__`, `FieldInfo.metadata` annotated_types constraints), msgspec Structs (`msgspec.inspect.type_info`), dataclasses (`Literal[...]`
annotations, `Annotated[..., annotated_types.X]` metadata). Everything else is reported as
`plain` with no fields, and every field or constraint that is not understood is listed under
`skipped` with the reason, never silently dropped.
"""

import dataclasses
import importlib
import inspect
import os
import sys
import typing

_SCALARS = (bool, int, float, str)
_BOUNDS = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length")


def _resolve(module, qualname):
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _relative(path):
    """`path` relative to the longest `sys.path` entry holding it (else unchanged)."""
    best = path = os.path.abspath(path) if path else path
    for entry in sys.path:
        entry = os.path.abspath(entry).rstrip("/") if entry else ""
        if entry and path.startswith(entry + "/"):
            rel = path[len(entry) + 1:]
            if len(rel) < len(best):
                best = rel
    return best


def source_path(arg):
    """The file of module `arg["module"]`, relative to its sys.path entry ("" if it has none)."""
    try:
        module = importlib.import_module(arg["module"])
    except Exception:
        return ""
    return _relative(getattr(module, "__file__", None) or "")


def _source(cls):
    """(file relative to its sys.path entry, line of the class statement) where known."""
    path = source_path({"module": cls.__module__})
    try:
        line = inspect.getsourcelines(cls)[1]
    except (TypeError, OSError):
        line = None
    return path, line


def _type_name(tp):
    return getattr(tp, "__name__", None) or repr(tp)


def _literal_value(value):
    if value is None or isinstance(value, _SCALARS):
        return True, value
    return False, repr(value)


def _annotation(tp, field, skipped):
    """Unwrap Optional/Annotated: (nullable, types, literal members or None, annotated metadata)."""
    nullable, types, literal, metadata = False, [], None, []
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        args = typing.get_args(tp)
        metadata.extend(args[1:])
        inner = _annotation(args[0], field, skipped)
        return inner[0], inner[1], inner[2], metadata + inner[3]
    union_types = [typing.Union]
    if sys.version_info >= (3, 10):
        import types as _types

        union_types.append(_types.UnionType)
    if origin in union_types:
        members = []
        for arg in typing.get_args(tp):
            if arg is type(None):
                nullable = True
                continue
            members.append(arg)
        if len(members) == 1:
            inner = _annotation(members[0], field, skipped)
            return nullable or inner[0], inner[1], inner[2], metadata + inner[3]
        for m in members:
            types.append(_type_name(typing.get_origin(m) or m))
        return nullable, sorted(set(types)), None, metadata
    if origin is typing.Literal:
        members = []
        for value in typing.get_args(tp):
            ok, shown = _literal_value(value)
            if not ok:
                skipped.append({"field": field, "reason": f"Literal member {shown} is not a JSON scalar"})
                return nullable, [], None, metadata
            if value is None:
                nullable = True
                continue
            members.append(value)
        types = sorted({type(v).__name__ for v in members})
        return nullable, types, members, metadata
    if tp is type(None):
        return True, [], None, metadata
    return nullable, [_type_name(origin or tp)], None, metadata


def _constraints_from_metadata(items, field, skipped):
    """annotated_types objects (and pydantic's grouped metadata) as [{kind, value}]."""
    out = []
    for item in items:
        name = type(item).__name__
        found = False
        if name in ("Gt", "Ge", "Lt", "Le", "MultipleOf", "MinLen", "MaxLen"):
            attr = {"Gt": "gt", "Ge": "ge", "Lt": "lt", "Le": "le", "MultipleOf": "multiple_of",
                    "MinLen": "min_length", "MaxLen": "max_length"}[name]
            value = getattr(item, attr, None)
            out.append({"kind": attr, "value": value})
            found = True
        elif name in ("Interval", "Len") or hasattr(item, "__iter__") and name != "str":
            try:
                nested = list(item)
            except TypeError:
                nested = None
            if nested is not None:
                out.extend(_constraints_from_metadata(nested, field, skipped))
                found = True
        if not found:
            skipped.append({"field": field, "reason": f"metadata {name} is not a constraint llemc lifts"})
    return out


def _finite_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
        and value not in (float("inf"), float("-inf"))


def _clean(constraints, field, skipped):
    out = []
    for c in constraints:
        if not _finite_number(c["value"]):
            skipped.append({"field": field, "reason": f"{c['kind']}={c['value']!r} is not a finite number"})
            continue
        out.append(c)
    out.sort(key=lambda c: (_BOUNDS.index(c["kind"]), repr(c["value"])))
    return out


def _init_parameters(cls):
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    params = {}
    for p in sig.parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        params[p.name] = p
    return params


def _pydantic_fields(cls, skipped):
    """Fields of a pydantic model (`model_fields`) or pydantic dataclass (`__pydantic_fields__`);
    a field marked `SkipValidation` is not checked by pydantic, so nothing of it is lifted."""
    fields = []
    declared = getattr(cls, "__pydantic_fields__", None)
    if not isinstance(declared, dict):
        declared = cls.model_fields
    for name, info in sorted(declared.items()):
        if any(type(m).__name__ == "SkipValidation" for m in info.metadata):
            skipped.append({"field": name, "reason": "SkipValidation: pydantic does not check it"})
            continue
        alias = info.alias if isinstance(getattr(info, "alias", None), str) else None
        nullable, types, literal, meta = _annotation(info.annotation, name, skipped)
        constraints = _constraints_from_metadata(list(info.metadata) + meta, name, skipped)
        fields.append({
            "name": alias or name,
            "attribute": name,
            "annotation": repr(info.annotation),
            "nullable": nullable,
            "types": types,
            "literal": literal,
            "required": bool(info.is_required()),
            "constraints": _clean(constraints, name, skipped),
        })
    return fields


def _msgspec_type(t, field, skipped):
    """A msgspec.inspect type: (nullable, types, literal, constraints)."""
    import msgspec

    mi = msgspec.inspect
    nullable = False
    if isinstance(t, mi.UnionType):
        members = [m for m in t.types if not isinstance(m, mi.NoneType)]
        nullable = len(members) != len(t.types)
        if len(members) == 1:
            inner = _msgspec_type(members[0], field, skipped)
            return nullable or inner[0], inner[1], inner[2], inner[3]
        return nullable, sorted(type(m).__name__ for m in members), None, []
    if isinstance(t, mi.LiteralType):
        members = list(t.values)
        return nullable, sorted({type(v).__name__ for v in members}), members, []
    names = {mi.BoolType: "bool", mi.IntType: "int", mi.FloatType: "float", mi.StrType: "str",
             mi.ListType: "list", mi.DictType: "dict", mi.TupleType: "tuple"}
    type_name = next((n for k, n in names.items() if isinstance(t, k)), type(t).__name__)
    constraints = []
    for attr in _BOUNDS:
        value = getattr(t, attr, None)
        if value is not None:
            constraints.append({"kind": attr, "value": value})
    if getattr(t, "pattern", None) is not None:
        skipped.append({"field": field, "reason": "pattern constraints are not lifted"})
    return nullable, [type_name], None, constraints


def _msgspec_fields(cls, skipped):
    import msgspec

    info = msgspec.inspect.type_info(cls)
    fields = []
    for f in sorted(info.fields, key=lambda f: f.name):
        nullable, types, literal, constraints = _msgspec_type(f.type, f.name, skipped)
        fields.append({
            "name": f.name,
            "attribute": f.name,
            "annotation": repr(f.type),
            "nullable": nullable,
            "types": types,
            "literal": literal,
            "required": bool(f.required),
            "constraints": _clean(constraints, f.name, skipped),
        })
    return fields


def _dataclass_fields(cls, skipped):
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:  # unresolvable forward references are a fact, not a crash
        skipped.append({"field": "*", "reason": f"annotations do not resolve: {type(exc).__name__}: {exc}"})
        hints = {}
    params = _init_parameters(cls) or {}
    fields = []
    for f in sorted(dataclasses.fields(cls), key=lambda f: f.name):
        if f.name not in params:
            skipped.append({"field": f.name, "reason": "not a constructor parameter"})
            continue
        tp = hints.get(f.name, f.type)
        nullable, types, literal, meta = _annotation(tp, f.name, skipped)
        constraints = _constraints_from_metadata(meta, f.name, skipped)
        fields.append({
            "name": f.name,
            "attribute": f.name,
            "annotation": repr(tp),
            "nullable": nullable,
            "types": types,
            "literal": literal,
            "required": f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            "constraints": _clean(constraints, f.name, skipped),
        })
    return fields


def _kind(cls):
    if isinstance(getattr(cls, "model_fields", None), dict) and hasattr(cls, "model_validate"):
        return "pydantic"
    if dataclasses.is_dataclass(cls) and isinstance(getattr(cls, "__pydantic_fields__", None), dict):
        return "pydantic"  # a pydantic dataclass: validated at construction like a model
    msgspec = sys.modules.get("msgspec")
    if msgspec is not None and isinstance(cls, type) and issubclass(cls, msgspec.Struct):
        return "msgspec"
    if dataclasses.is_dataclass(cls):
        return "dataclass"
    return "plain"


def inspect_class(arg):
    """Facts about `arg["class"]` in `arg["module"]`.

    Result: {module, class, kind: pydantic|msgspec|dataclass|plain|unavailable, path, line,
    enforced: construct|decode|declared_only|none, fields: [{name, attribute, annotation,
    nullable, types, literal, required, constraints: [{kind, value}]}], skipped: [{field,
    reason}], error}. Fields are sorted by name.
    """
    module, qualname = arg["module"], arg["class"]
    result = {"module": module, "class": qualname, "kind": "unavailable", "path": "", "line": None,
              "enforced": "none", "fields": [], "skipped": [], "error": None}
    try:
        cls = _resolve(module, qualname)
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    result["path"], result["line"] = _source(cls)
    kind = _kind(cls)
    result["kind"] = kind
    skipped = result["skipped"]
    if kind == "pydantic":
        result["fields"] = _pydantic_fields(cls, skipped)
        result["enforced"] = "construct"
    elif kind == "msgspec":
        result["fields"] = _msgspec_fields(cls, skipped)
        result["enforced"] = "decode"
    elif kind == "dataclass":
        result["fields"] = _dataclass_fields(cls, skipped)
        result["enforced"] = "declared_only"
    skipped.sort(key=lambda s: (s["field"], s["reason"]))
    return result
