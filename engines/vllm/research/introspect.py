#!/usr/bin/env python3
"""What one installed vLLM version declares: the facts behind engines/vllm/RESEARCH.md.

Run with the interpreter of a vLLM venv (CPU-only is fine):

    /tmp/vllm-0.17.1/bin/python engines/vllm/research/introspect.py engines/vllm/research/facts-0.17.1.json

(vLLM logs to stdout, so the result goes to the file named.) It writes one JSON document (sorted keys, deterministic; object addresses masked):

- `exceptions`: the classes of `vllm.exceptions` with their MRO, and pydantic's ValidationError;
- `sampling`: `vllm.SamplingParams` (a msgspec Struct): its struct config, every field with its
  annotation and default, and the validator methods it defines;
- `configs`: every `*Config` class exported by `vllm.config`: kind (pydantic dataclass), pydantic
  `extra`, fields (annotation, default or factory, required, init-only, `Field` bounds and
  `Literal` members), field / model validators (name, mode, fields), `__post_init__` / `_verify*` /
  `_validate*` / `verify*` methods, what each validator reads from outside the instance (runtime
  context: `envs.VLLM_*`, `current_platform`, `torch.cuda`, the model's HF config, ...), and what
  happens on a construction without arguments;
- `engine_args`: the fields of `vllm.engine.arg_utils.EngineArgs`, and for each the config
  class(es) and field(s) it feeds, read from the source of `EngineArgs` (class-attribute defaults
  `X: T = SomeConfig.field`, `get_field(SomeConfig, "field")`) and of its `create_*` methods
  (`SomeConfig(kw=self.field, ...)`, directly or through a local variable).

Nothing here is a rule; the miners and the gate decide those. Standard library plus what the vLLM
venv has (pydantic, msgspec).
"""

import ast
import dataclasses
import enum
import importlib
import inspect
import json
import logging
import os
import re
import sys
import textwrap
import typing

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # ModelConfig() would otherwise retry the Hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_ADDR = re.compile(r"0x[0-9a-fA-F]{6,}")

# Names whose appearance in a validator's body means the check needs something beyond the kwargs.
_CONTEXT_MARKERS = {
    "envs": "env",                     # envs.VLLM_*
    "current_platform": "platform",
    "cuda_device_count_stateless": "device",
    "torch": "torch",                  # torch.cuda.*, torch.version.*, dtype objects
    "hf_config": "model_config",
    "hf_text_config": "model_config",
    "model_config": "model_config",
    "get_config": "model_config",
    "get_hf_text_config": "model_config",
    "ray": "ray",
    "is_in_ray_actor": "ray",
    "os": "os",                        # os.environ / os.path
    "get_cpu_memory": "host_memory",
    "find_spec": "installed_packages",
    "has_deep_ep": "installed_packages",
    "has_pplx": "installed_packages",
}


def masked(text):
    return _ADDR.sub("0x?", text)


def rep(value):
    if isinstance(value, enum.Enum):
        return f"{type(value).__qualname__}.{value.name}"
    try:
        return masked(repr(value))
    except Exception as exc:  # a broken __repr__ is a fact too
        return f"<unrepresentable {type(value).__qualname__}: {type(exc).__name__}>"


def jsonable(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, enum.Enum):
        return rep(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return {"$repr": rep(value)}


def type_text(tp):
    text = getattr(tp, "__name__", None) if isinstance(tp, type) else None
    return masked(text or repr(tp).replace("typing.", ""))


def literal_members(tp):
    """Members of every Literal reachable through Optional / Union / Annotated."""
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return list(typing.get_args(tp))
    out = []
    for arg in typing.get_args(tp) if origin is not None else ():
        if isinstance(arg, (type, typing.TypeVar)) or typing.get_origin(arg) is not None:
            out.extend(literal_members(arg))
    return out


def exception_facts():
    out = {}
    try:
        mod = importlib.import_module("vllm.exceptions")
    except ImportError:
        mod = None
    classes = []
    if mod is not None:
        classes = [c for _, c in sorted(vars(mod).items())
                   if inspect.isclass(c) and issubclass(c, BaseException)
                   and c.__module__ == mod.__name__]
    import pydantic_core
    classes.append(pydantic_core.ValidationError)
    for cls in classes:
        out[f"{cls.__module__}.{cls.__qualname__}"] = {
            "mro": [f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__],
            "init_signature": _signature(cls.__init__),
            "overrides_str": "__str__" in cls.__dict__,
        }
    return out


def _signature(fn):
    try:
        return masked(str(inspect.signature(fn)))
    except (TypeError, ValueError):
        return None


def function_source(fn):
    fn = getattr(fn, "__func__", fn)
    fn = getattr(fn, "__wrapped__", fn)
    try:
        return textwrap.dedent(inspect.getsource(fn)), inspect.getsourcelines(fn)[1]
    except (TypeError, OSError):
        return None, None


def context_reads(source):
    """What a method's body reads besides its own arguments: runtime-context markers."""
    if not source:
        return {}
    tree = ast.parse(source)
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, base = [node.attr], node.value
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name):
                chain.append(base.id)
            chain.reverse()
            if chain[0] == "envs" and len(chain) > 1:
                found.setdefault("env", set()).add(chain[1])
            elif chain[0] == "os" and chain[1:2] in (["environ"], ["getenv"]):
                found.setdefault("env", set()).add("os.environ")
            for part in chain:
                kind = _CONTEXT_MARKERS.get(part)
                if kind and kind not in ("env", "os"):
                    found.setdefault(kind, set()).add(".".join(chain))
        elif isinstance(node, ast.Name):
            kind = _CONTEXT_MARKERS.get(node.id)
            if kind in ("platform", "device", "model_config", "ray", "host_memory",
                        "installed_packages"):
                found.setdefault(kind, set()).add(node.id)
    return {k: sorted(v) for k, v in sorted(found.items())}


def raises_in(source):
    """Exception names raised in a method body (`raise X(...)`), in order of first appearance."""
    if not source:
        return []
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = ast.unparse(exc)
            if name not in out:
                out.append(name)
    return out


def logs_in(source):
    """logger.<level>(...) / warnings.warn calls in a method body."""
    if not source:
        return []
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if owner in ("logger", "warnings") and node.func.attr in (
                    "warning", "warning_once", "warn", "error", "info", "info_once"):
                name = f"{owner}.{node.func.attr}"
                if name not in out:
                    out.append(name)
    return out


def method_facts(cls, name):
    fn = cls.__dict__.get(name)
    source, line = function_source(fn)
    return {"line": line, "raises": raises_in(source), "logs": logs_in(source),
            "context": context_reads(source)}


VALIDATOR_PREFIXES = ("_verify", "_validate", "verify", "validate")


def validator_methods(cls):
    return sorted(n for n, v in cls.__dict__.items()
                  if (n == "__post_init__" or n.startswith(VALIDATOR_PREFIXES))
                  and (callable(v) or isinstance(v, (classmethod, staticmethod))))


def sampling_facts():
    import msgspec
    from vllm import SamplingParams as sp

    hints = typing.get_type_hints(sp)
    names = list(sp.__struct_fields__)
    defaults = list(sp.__struct_defaults__)
    pad = len(names) - len(defaults)
    fields = {}
    for i, name in enumerate(names):
        entry = {"type": type_text(hints.get(name)), "internal": name.startswith("_")}
        if i >= pad:
            d = defaults[i - pad]
            if d is msgspec.NODEFAULT:
                entry["required"] = True
            elif type(d).__name__ == "Factory" or "factory" in type(d).__name__.lower():
                entry["default_factory"] = rep(getattr(d, "factory", d))
            else:
                entry["default"] = jsonable(d)
        else:
            entry["required"] = True
        members = literal_members(hints.get(name))
        if members:
            entry["literal"] = jsonable(members)
        fields[name] = entry
    cfg = sp.__struct_config__
    config = {k: getattr(cfg, k) for k in ("forbid_unknown_fields", "omit_defaults", "kw_only",
                                           "frozen", "eq", "order", "dict", "weakref",
                                           "array_like", "gc", "repr_omit_defaults")
              if hasattr(cfg, k)}
    return {
        "module": sp.__module__,
        "class": sp.__qualname__,
        "kind": "msgspec.Struct",
        "bases": [f"{c.__module__}.{c.__qualname__}" for c in sp.__mro__[1:]],
        "struct_config": config,
        "fields": fields,
        "validators": {n: method_facts(sp, n) for n in validator_methods(sp)},
        "module_constants": {k: jsonable(v) for k, v in sorted(vars(sys.modules[sp.__module__]).items())
                             if re.fullmatch(r"_[A-Z][A-Z_]+", k) and isinstance(v, (int, float, str))},
    }


def pydantic_field_facts(cls):
    from pydantic_core import PydanticUndefined

    out = {}
    dc_fields = getattr(cls, "__dataclass_fields__", {})
    for name, info in cls.__pydantic_fields__.items():
        entry = {"type": type_text(info.annotation)}
        dc = dc_fields.get(name)
        if dc is not None and getattr(dc, "_field_type", None) is dataclasses._FIELD_INITVAR:
            entry["init_var"] = True
        if dc is not None and not dc.init:
            entry["init"] = False
        if info.default_factory is not None:
            entry["default_factory"] = rep(info.default_factory)
        elif info.default is PydanticUndefined:
            entry["required"] = True
        else:
            entry["default"] = jsonable(info.default)
        bounds = {}
        for meta in info.metadata:
            for key in ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length"):
                if hasattr(meta, key) and getattr(meta, key) is not None:
                    bounds[key] = jsonable(getattr(meta, key))
            if type(meta).__name__ not in ("Gt", "Ge", "Lt", "Le", "MultipleOf", "MinLen", "MaxLen"):
                bounds.setdefault("other_metadata", []).append(rep(meta))
        if bounds:
            entry["bounds"] = bounds
        members = literal_members(info.annotation)
        if members:
            entry["literal"] = jsonable(members)
        out[name] = entry
    return out


def decorator_facts(cls):
    dec = cls.__pydantic_decorators__
    fv = {}
    for name, d in sorted(dec.field_validators.items()):
        fv[name] = {"fields": list(d.info.fields), "mode": d.info.mode}
    mv = {name: {"mode": d.info.mode} for name, d in sorted(dec.model_validators.items())}
    return fv, mv


def construct_without_arguments(cls):
    handler = logging.getLogger("vllm")
    saved = handler.disabled
    handler.disabled = True
    try:
        cls()
        return {"outcome": "constructs"}
    except BaseException as exc:  # every failure is the fact we record
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        first = str(exc).strip().splitlines()[:2]
        return {"outcome": "raises", "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "message": masked(" / ".join(first))[:300]}
    finally:
        handler.disabled = saved


def config_facts():
    cfgmod = importlib.import_module("vllm.config")
    out = {}
    for name in sorted(dir(cfgmod)):
        cls = getattr(cfgmod, name)
        if not (name.endswith("Config") and inspect.isclass(cls)):
            continue
        entry = {"module": cls.__module__, "class": cls.__qualname__}
        if hasattr(cls, "__pydantic_fields__"):
            entry["kind"] = "pydantic.dataclass" if dataclasses.is_dataclass(cls) else "pydantic.BaseModel"
            cfg = getattr(cls, "__pydantic_config__", {}) or {}
            entry["pydantic_config"] = {k: jsonable(v) for k, v in sorted(dict(cfg).items())}
            entry["fields"] = pydantic_field_facts(cls)
            fv, mv = decorator_facts(cls)
            entry["field_validators"] = fv
            entry["model_validators"] = mv
        elif dataclasses.is_dataclass(cls):
            entry["kind"] = "dataclass"
            entry["fields"] = {f.name: {"type": type_text(f.type)} for f in dataclasses.fields(cls)}
        else:
            entry["kind"] = "plain"
        entry["validators"] = {n: method_facts(cls, n) for n in validator_methods(cls)}
        entry["construct_without_arguments"] = construct_without_arguments(cls)
        out[name] = entry
    return out


def engine_args_facts(config_names):
    from vllm.engine import arg_utils

    ea = arg_utils.EngineArgs
    source = inspect.getsource(arg_utils)
    tree = ast.parse(source)
    klass = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "EngineArgs")
    fields = {}
    for f in dataclasses.fields(ea):
        default = (f.default if f.default is not dataclasses.MISSING
                   else (f"<factory {rep(f.default_factory)}>"
                         if f.default_factory is not dataclasses.MISSING else "<required>"))
        fields[f.name] = {"type": type_text(f.type), "default": jsonable(default),
                          "default_from": None, "feeds": []}
    # class-attribute defaults: `x: T = ModelConfig.x` / `get_field(ModelConfig, "x")`
    for node in klass.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            name, value = node.target.id, node.value
            if name not in fields:
                continue
            if (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)
                    and value.value.id in config_names):
                fields[name]["default_from"] = f"{value.value.id}.{value.attr}"
            elif (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                  and value.func.id == "get_field" and len(value.args) == 2
                  and isinstance(value.args[0], ast.Name)
                  and isinstance(value.args[1], ast.Constant)):
                fields[name]["default_from"] = f"{value.args[0].id}.{value.args[1].value}"
    # constructor calls in the create_* methods: `SomeConfig(kw=<expr reading self.x>)`, and
    # assignments onto a config object: `some_config.kw = <expr reading self.x>`
    field_class = {}
    for node in klass.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            named = [n.id for n in ast.walk(node.annotation)
                     if isinstance(n, ast.Name) and n.id in config_names]
            if named:
                field_class[node.target.id] = named[0]
    creators = {}
    for fn in klass.body:
        if isinstance(fn, ast.FunctionDef) and fn.returns is not None:
            named = [n.id for n in ast.walk(fn.returns)
                     if isinstance(n, ast.Name) and n.id in config_names]
            if named:
                creators[fn.name] = named[0]

    def config_class_of(value, local_class):
        """The config class an expression evaluates to, when it is one we can name."""
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call):
                callee = sub.func.id if isinstance(sub.func, ast.Name) else (
                    sub.func.attr if isinstance(sub.func, ast.Attribute) else None)
                if callee in config_names:
                    return callee
                if callee in creators:
                    return creators[callee]
        if isinstance(value, ast.Call) and value.args:
            value = value.args[0]  # copy.deepcopy(self.x)
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            if value.value.id == "self":
                return field_class.get(value.attr)
        if isinstance(value, ast.Name):
            return local_class.get(value.id)
        return None

    def add_feed(read, feed):
        if read in fields and feed not in fields[read]["feeds"]:
            fields[read]["feeds"].append(feed)

    for fn in klass.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        local_sources, local_class = {}, {}
        for node in ast.walk(fn):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if not isinstance(t, ast.Name):
                        continue
                    cls_name = config_class_of(node.value, local_class)
                    if cls_name is not None:
                        local_class[t.id] = cls_name  # a config object: nesting, not feeding
                    else:
                        local_sources.setdefault(t.id, set()).update(_self_reads(node.value))
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                callee = node.func.id if isinstance(node.func, ast.Name) else (
                    node.func.attr if isinstance(node.func, ast.Attribute) else None)
                if callee not in config_names:
                    continue
                for kw in node.keywords:
                    if config_class_of(kw.value, local_class) is not None:
                        continue
                    direct = (isinstance(kw.value, ast.Attribute)
                              and isinstance(kw.value.value, ast.Name)
                              and kw.value.value.id == "self")
                    reads = set(_self_reads(kw.value))
                    for name_node in ast.walk(kw.value):
                        if isinstance(name_node, ast.Name) and name_node.id in local_sources:
                            reads |= local_sources[name_node.id]
                    for read in sorted(reads):
                        add_feed(read, {"class": callee, "field": kw.arg or "**", "via": fn.name,
                                        "how": "direct" if direct and kw.value.attr == read
                                        else "derived", "line": kw.value.lineno})
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if not isinstance(t, ast.Attribute):
                        continue
                    owner = config_class_of(t.value, local_class)
                    if owner is None:
                        continue
                    for read in sorted(set(_self_reads(node.value))):
                        add_feed(read, {"class": owner, "field": t.attr, "via": fn.name,
                                        "how": "assigned", "line": node.lineno})
    for name, cls_name in field_class.items():
        if name in fields:
            fields[name]["config_object"] = cls_name  # the field holds a whole config (or its dict)
    for entry in fields.values():
        entry["feeds"].sort(key=lambda f: ({"direct": 0, "assigned": 1}.get(f["how"], 2),
                                          f["class"], f["field"], f["line"]))
    return {"module": ea.__module__, "class": ea.__qualname__, "fields": fields,
            "validators": {n: method_facts(ea, n) for n in validator_methods(ea)}}


def _self_reads(node):
    out = []
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                and sub.value.id == "self"):
            out.append(sub.attr)
    return out


def main():
    from importlib import metadata

    logging.getLogger("vllm").disabled = True
    facts = {
        "vllm": metadata.version("vllm"),
        "torch": metadata.version("torch"),
        "pydantic": metadata.version("pydantic"),
        "msgspec": metadata.version("msgspec"),
        "transformers": metadata.version("transformers"),
        "python": ".".join(map(str, sys.version_info[:3])),
        "exceptions": exception_facts(),
        "sampling": sampling_facts(),
    }
    configs = config_facts()
    facts["configs"] = configs
    facts["engine_args"] = engine_args_facts(set(configs))
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(facts, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()
