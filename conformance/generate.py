#!/usr/bin/env python3
"""Generate conformance input configs for the six compat corpora.

Own code (not derived from the original project). Deterministic: every corpus
uses its own fixed-seed ``random.Random``; rerunning produces byte-identical
output.

For each corpus the generator collects every field path named in
``match.fields`` and every ``@reference`` target, plus the literals each path
is compared with, and builds nested-dict configs from them:

* ``rule``      - pick a rule and make all its predicates hold (then, half the
                  time, perturb one of its fields: boundary neighbour, null,
                  missing, wrong type, or a missing reference target);
* ``multi``     - satisfy two or three rules at once;
* ``random``    - random subset of paths with values from the pools;
* ``quiet``     - many fields set, repaired until no rule fires (own check);
* ``chaos``     - wrong types everywhere (strings, lists, dicts, bools);
* ``structure`` - non-dict intermediate nodes, dotted keys at the root,
                  empty sections, unrelated keys.

Output: one JSON object per line (the config), in
``<out-dir>/<label>.jsonl``.

Usage:
    python3 conformance/generate.py [--compat-dir DIR] [--out-dir DIR] [--count N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]

CORPORA = [
    ("transformers", "transformers.yaml"),
    ("vllm", "vllm.yaml"),
    ("tensorrt", "tensorrt.yaml"),
    ("v070_transformers", "v0.7.0/transformers.yaml"),
    ("v070_vllm", "v0.7.0/vllm.yaml"),
    ("v070_tensorrt", "v0.7.0/tensorrt.yaml"),
]

SEEDS = {label: 20260427 + i for i, (label, _) in enumerate(CORPORA)}

ORDERING = {"<", "<=", ">", ">="}
MISSING = object()  # sentinel: delete the key instead of setting it

GENERIC_VALUES = [
    None, True, False, 0, 1, -1, 2, 3, 4, 16, 50, 100, -100, 1.0, 0.0, -0.0,
    -1.0, 0.5, 1.5, 2.0, -2.0, 0.999, 1e-9, 1e9, 2**31, -(2**31), 2**53,
    "", "auto", "abc", "0", "1", "-1", "true", "True", "None", "null", "never",
    [], [1], [1, 2], ["auto"], [True], [None], [0.0], {}, {"a": 1}, {"x": None},
]
WRONG_TYPES = ["1", "abc", "", [], [1], [0, 1], {}, {"k": 1}, True, False, "0.5", [None]]


# ---------------------------------------------------------------------------
# corpus analysis
# ---------------------------------------------------------------------------


def is_ref(v):
    return isinstance(v, str) and v.startswith("@")


def ref_target(ref, field_path):
    t = ref[1:]
    if "." in t:
        return t
    parent = field_path.split(".")[:-1]
    return ".".join([*parent, t]) if parent else t


def iter_operands(spec):
    """Yield (op, operand) pairs of one match.fields entry (bare -> '==')."""
    if isinstance(spec, dict):
        yield from spec.items()
    else:
        yield "==", spec


def numeric_neighbours(t):
    out = [t]
    if isinstance(t, bool):
        return [t, int(t), float(t), not t, 1 - int(t), 2]
    if isinstance(t, int):
        out += [t - 1, t + 1, float(t), t - 0.5, t + 0.5, t + 2, -t, t * 2]
    elif isinstance(t, float):
        out += [t - 1, t + 1, t - 0.5, t + 0.5, t + 1e-6, t - 1e-6, -t]
        if t.is_integer():
            out.append(int(t))
    return out


def string_neighbours(s):
    out = [s, s.upper(), s.lower(), s + "x", " " + s, s[:-1] if s else "x", "", "@" + s]
    return out


class Corpus:
    def __init__(self, label, data):
        self.label = label
        self.rules = data.get("rules") or []
        self.paths = []  # ordered, unique
        self.literals = {}  # path -> list of values
        self.typenames = {}  # path -> set of type names
        self.refs = []  # (field_path, target_path)
        for rule in self.rules:
            for path, spec in rule["match"]["fields"].items():
                self._add_path(path)
                for op, v in iter_operands(spec):
                    vals = v if isinstance(v, list) and op not in ("type_is", "type_is_not") else [v]
                    for x in vals:
                        if is_ref(x):
                            tgt = ref_target(x, path)
                            self._add_path(tgt)
                            self.refs.append((path, tgt))
                        elif op in ("type_is", "type_is_not"):
                            self.typenames.setdefault(path, set()).add(str(x))
                        elif op in ("present", "absent"):
                            pass
                        else:
                            self.literals.setdefault(path, []).append(x)
        self.pools = {p: self._pool(p) for p in self.paths}
        self.prefixes = sorted({".".join(p.split(".")[:i]) for p in self.paths for i in range(1, len(p.split(".")))})

    def _add_path(self, p):
        if p not in self.paths:
            self.paths.append(p)

    def _pool(self, path):
        pool = []
        for lit in self.literals.get(path, []):
            if isinstance(lit, (bool, int, float)):
                pool += numeric_neighbours(lit)
            elif isinstance(lit, str):
                pool += string_neighbours(lit)
            else:
                pool.append(lit)
            pool.append([lit])  # a list holding the literal (never equal to it)
        # values of other paths' literals (cross-pollination of strings/numbers)
        for name in sorted(self.typenames.get(path, ())):
            pool += {
                "bool": [True, False], "int": [0, 1, 7, -3], "float": [0.0, 1.0, 6.0, 0.25],
                "str": ["a", "", "6"], "list": [[], ["x"], [1, 2]], "dict": [{}, {"a": 1}],
            }.get(name, [name, {"type": name}])
        pool += GENERIC_VALUES
        # dedup by repr+type, keep order
        seen, out = set(), []
        for v in pool:
            key = json.dumps(v)
            if key not in seen:
                seen.add(key)
                out.append(v)
        return out


# ---------------------------------------------------------------------------
# own predicate check (Python semantics; used only to steer generation and to
# print coverage; record.py uses the original loaders)
# ---------------------------------------------------------------------------


class Incomparable(Exception):
    pass


def get_path(cfg, path):
    cur = cfg
    for part in path.split("."):
        if cur is None:
            return None
        if isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
    return cur


def _order(op, a, b):
    if a is None or b is None:
        return False
    try:
        return _cmp(op, a, b)
    except TypeError:
        raise Incomparable()


def _cmp(op, a, b):
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _int_pair(a, b):
    return type(a) is int and type(b) is int


def op_holds(op, a, b):
    if op in ("==", "equals"):
        return a == b
    if op in ("!=", "not_equal"):
        return a is not None and b is not None and a != b
    if op in ORDERING:
        return _order(op, a, b)
    if op == "in":
        return isinstance(b, list) and a in b
    if op == "not_in":
        return a is not None and isinstance(b, list) and a not in b
    if op == "present":
        return a is not None
    if op == "absent":
        return a is None
    if op in ("type_is", "type_is_not"):
        names = {b} if isinstance(b, str) else {str(x) for x in b}
        return a is not None and ((type(a).__name__ in names) == (op == "type_is"))
    if op == "divisible_by":
        return _int_pair(a, b) and b != 0 and a % b == 0
    if op == "not_divisible_by":
        return _int_pair(a, b) and b != 0 and a % b != 0
    raise ValueError(op)


def subst(v, cfg, path):
    if is_ref(v):
        return get_path(cfg, ref_target(v, path))
    if isinstance(v, list):
        return [subst(x, cfg, path) for x in v]
    return v


def field_holds(cfg, path, spec):
    a = get_path(cfg, path)
    for op, v in iter_operands(spec):
        if not op_holds(op, a, subst(v, cfg, path)):
            return False
    return True


def rule_holds(cfg, rule):
    """True / False, or None when plain Python would raise."""
    try:
        for path, spec in rule["match"]["fields"].items():
            if not field_holds(cfg, path, spec):
                return False
        return True
    except Incomparable:
        return None


# ---------------------------------------------------------------------------
# config construction
# ---------------------------------------------------------------------------


def set_path(cfg, path, value):
    parts = path.split(".")
    cur = cfg
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    if value is MISSING:
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value


class Gen:
    def __init__(self, corpus: Corpus, rng: random.Random):
        self.c = corpus
        self.rng = rng

    def value_for(self, path):
        rng = self.rng
        r = rng.random()
        if r < 0.06:
            return MISSING
        if r < 0.12:
            return None
        pool = self.c.pools[path]
        lits = self.c.literals.get(path)
        if lits and r < 0.55:
            # bias toward literal neighbourhoods (first entries of the pool)
            head = pool[: max(1, len(pool) - len(GENERIC_VALUES))]
            return rng.choice(head)
        return rng.choice(pool)

    def satisfy_field(self, cfg, path, spec):
        """Set path (and ref targets) so that the field's predicate holds."""
        rng = self.rng
        # first give every referenced target a value (numeric or string)
        for _op, v in iter_operands(spec):
            for x in v if isinstance(v, list) else [v]:
                if is_ref(x):
                    tgt = ref_target(x, path)
                    if get_path(cfg, tgt) is None:
                        set_path(cfg, tgt, rng.choice([0, 1, 2, 3, 4, 5, 8, 16, 2.5, 1.0, 100]))
        cands = list(self.c.pools[path])
        rng.shuffle(cands)
        good = []
        for v in cands:
            trial = json.loads(json.dumps(cfg))
            set_path(trial, path, v)
            try:
                if field_holds(trial, path, spec):
                    good.append(v)
            except Incomparable:
                pass
        if good:
            # prefer a boundary-ish value often
            set_path(cfg, path, rng.choice(good[:4]) if rng.random() < 0.5 else rng.choice(good))
            return True
        return False

    def satisfy_rule(self, cfg, rule):
        ok = True
        for path, spec in rule["match"]["fields"].items():
            ok = self.satisfy_field(cfg, path, spec) and ok
        return ok

    def perturb(self, cfg, rule):
        rng = self.rng
        fields = list(rule["match"]["fields"].items())
        path, spec = rng.choice(fields)
        kind = rng.random()
        if kind < 0.15:
            set_path(cfg, path, MISSING)
        elif kind < 0.3:
            set_path(cfg, path, None)
        elif kind < 0.45:
            set_path(cfg, path, rng.choice(WRONG_TYPES))
        elif kind < 0.55 and any(is_ref(v) for _o, v in iter_operands(spec)):
            for _o, v in iter_operands(spec):
                if is_ref(v):
                    set_path(cfg, ref_target(v, path), rng.choice([MISSING, None, "x", True, 0]))
        else:
            cur = get_path(cfg, path)
            if isinstance(cur, (int, float)) and rng.random() < 0.6:
                set_path(cfg, path, rng.choice(numeric_neighbours(cur)))
            else:
                set_path(cfg, path, self.value_for(path))

    def noise(self, cfg, k):
        for _ in range(k):
            p = self.rng.choice(self.c.paths)
            set_path(cfg, p, self.value_for(p))

    def make(self, i):
        rng = self.rng
        mode = rng.random()
        cfg: dict = {}
        rules = self.c.rules
        if i < 2 * len(rules):
            # two configs per rule first: satisfied, then satisfied + perturbed
            rule = rules[i // 2]
            self.satisfy_rule(cfg, rule)
            if i % 2:
                self.perturb(cfg, rule)
            return cfg
        if mode < 0.34:
            rule = rng.choice(rules)
            if rng.random() < 0.4:
                self.noise(cfg, rng.randint(1, 4))
            self.satisfy_rule(cfg, rule)
            if rng.random() < 0.5:
                self.perturb(cfg, rule)
            if rng.random() < 0.3:
                self.noise(cfg, rng.randint(1, 3))
        elif mode < 0.44:
            for rule in rng.sample(rules, min(len(rules), rng.randint(2, 3))):
                self.satisfy_rule(cfg, rule)
            if rng.random() < 0.3:
                self.perturb(cfg, rng.choice(rules))
        elif mode < 0.74:
            k = rng.randint(1, min(len(self.c.paths), 8))
            for p in rng.sample(self.c.paths, k):
                set_path(cfg, p, self.value_for(p))
        elif mode < 0.85:
            self.quiet(cfg)
        elif mode < 0.93:
            k = rng.randint(1, 4)
            for p in rng.sample(self.c.paths, min(k, len(self.c.paths))):
                set_path(cfg, p, rng.choice(WRONG_TYPES + [None, MISSING]))
        else:
            self.structure(cfg)
        return cfg

    def quiet(self, cfg):
        """Many fields set, then repaired until (by the own check) no rule fires."""
        rng = self.rng
        k = rng.randint(3, len(self.c.paths))
        for p in rng.sample(self.c.paths, k):
            set_path(cfg, p, self.value_for(p))
        for _ in range(8):
            firing = [r for r in self.c.rules if rule_holds(cfg, r) is not False]
            if not firing:
                return
            for rule in firing:
                path, spec = rng.choice(list(rule["match"]["fields"].items()))
                cands = list(self.c.pools[path])
                rng.shuffle(cands)
                for v in cands:
                    if v is None:
                        continue
                    trial = json.loads(json.dumps(cfg))
                    set_path(trial, path, v)
                    try:
                        if not field_holds(trial, path, spec):
                            set_path(cfg, path, v)
                            break
                    except Incomparable:
                        continue

    def structure(self, cfg):
        rng = self.rng
        # start from a rule-satisfying config, then break the tree shape
        self.satisfy_rule(cfg, rng.choice(self.c.rules))
        kind = rng.randrange(5)
        if kind == 0 and self.c.prefixes:
            pre = rng.choice(self.c.prefixes)
            set_path(cfg, pre, rng.choice([None, 5, "x", [], [{"a": 1}], True, 1.5]))
        elif kind == 1:
            p = rng.choice(self.c.paths)
            v = self.value_for(p) if rng.random() < 0.5 else 1
            cfg[p] = None if v is MISSING else v
        elif kind == 2 and self.c.prefixes:
            set_path(cfg, rng.choice(self.c.prefixes), {})
        elif kind == 3:
            cfg["unrelated"] = {"nested": [1, 2, {"deep": None}]}
            top = next(iter(cfg), None)
            if isinstance(cfg.get(top), dict):
                cfg[top]["extra_key"] = "value"
        else:
            cfg.clear()


def generate(compat_dir: Path, out_dir: Path, count: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for label, rel in CORPORA:
        data = yaml.safe_load((compat_dir / rel).read_text())
        corpus = Corpus(label, data)
        gen = Gen(corpus, random.Random(SEEDS[label]))
        seen = set()
        lines = []
        attempts = 0
        while len(lines) < count and attempts < count * 20:
            cfg = gen.make(attempts)
            attempts += 1
            line = json.dumps(cfg, ensure_ascii=False, allow_nan=False)
            if line in seen:
                continue
            seen.add(line)
            lines.append(line)
        (out_dir / f"{label}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        fired = [0] * len(corpus.rules)
        notfired = [0] * len(corpus.rules)
        for line in lines:
            cfg = json.loads(line)
            for j, rule in enumerate(corpus.rules):
                r = rule_holds(cfg, rule)
                if r:
                    fired[j] += 1
                elif r is False:
                    notfired[j] += 1
        both = sum(1 for f, n in zip(fired, notfired) if f and n)
        never = [corpus.rules[j]["id"] for j, f in enumerate(fired) if not f]
        print(
            f"{label}: {len(lines)} configs; rules firing at least once "
            f"(own check, Python semantics): {sum(1 for f in fired if f)}/{len(corpus.rules)}; "
            f"both firing and not firing: {both}/{len(corpus.rules)}"
        )
        for rid in never:
            print(f"  never fires: {rid}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compat-dir", type=Path, default=REPO.parent / "shared" / "compat")
    ap.add_argument("--out-dir", type=Path, default=REPO / ".cache" / "conformance" / "inputs")
    ap.add_argument("--count", type=int, default=2500)
    args = ap.parse_args(argv)
    generate(args.compat_dir, args.out_dir, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
