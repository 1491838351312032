"""Primitives the embedded interpreter runs for llemc's live miners and gate.

Loaded by `miners/live/src/bridge.rs` as the module `llemc_live`. Every public function takes one
JSON-compatible argument and returns a JSON-compatible value; the bridge does the encoding.

`observe` is the one way llemc watches the library: construct a class from kwargs, then call
`validate(strict=True)` where it exists, and record everything the library did.
"""

import contextlib
import importlib
import io
import logging
import math
import os
import signal
import sys
import threading
import time
import traceback
import warnings


class ProbeTimeout(Exception):
    """A single construction ran past its deadline."""


def interpreter(_arg=None):
    """What the embedded interpreter is: version, prefix, executable and the head of sys.path."""
    return {
        "version": sys.version,
        "version_info": list(sys.version_info[:3]),
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "executable": sys.executable,
        "path": list(sys.path),
    }


def distribution_version(arg):
    """The installed version of a distribution, or None when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version(arg["distribution"])
    except metadata.PackageNotFoundError:
        return None


def jsonable(value, depth=0):
    """A JSON-compatible rendering of any Python value; non-finite floats and objects are tagged."""
    if depth > 8:
        return {"$repr": _short_repr(value)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": repr(value)}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v, depth + 1) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    return {"$type": type(value).__qualname__, "$repr": _short_repr(value)}


def _short_repr(value):
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break the observation
        text = f"<unrepresentable {type(value).__qualname__}: {type(exc).__name__}>"
    return text if len(text) <= 400 else text[:400] + "..."


@contextlib.contextmanager
def deadline(seconds):
    """Raise ProbeTimeout when the body runs longer than `seconds`.

    On the process's main thread a real-time interval timer interrupts even a tight loop;
    elsewhere (a test harness thread) a trace function checks the clock on every line.
    """
    if seconds is None or seconds <= 0:
        yield
        return
    # The interval timer is used only on the process's own main thread (on Linux its thread id is
    # the process id): embedded in a test harness, Python's "main thread" can be another OS thread,
    # where SIGALRM was seen never to reach the handler.
    on_process_main_thread = (
        threading.current_thread() is threading.main_thread()
        and threading.get_native_id() == os.getpid()
    )
    if on_process_main_thread:
        def on_alarm(_signum, _frame):
            raise ProbeTimeout(f"no answer within {seconds} s")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    else:
        end = time.monotonic() + seconds

        def tracer(_frame, _event, _arg):
            if time.monotonic() > end:
                raise ProbeTimeout(f"no answer within {seconds} s")
            return tracer

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            yield
        finally:
            sys.settrace(previous)


class _LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call is still an emission
            message = str(record.msg)
        self.records.append({"channel": "logger", "level": record.levelname.lower(),
                             "logger": record.name, "message": message})


def _reset_once_caches(logger_name):
    """Libraries log some warnings once per process: forget which were already logged.

    transformers caches `logging.Logger.warning_once` / `info_once`; vLLM keeps its
    `_print_*_once` functions as `functools.lru_cache`s in `vllm.logger` (`<logger>.logger`).
    """
    for name in ("warning_once", "info_once"):
        cached = getattr(logging.Logger, name, None)
        clear = getattr(cached, "cache_clear", None)
        if clear is not None:
            clear()
    module = sys.modules.get(f"{logger_name}.logger") if logger_name else None
    for value in list(vars(module).values()) if module is not None else []:
        clear = getattr(value, "cache_clear", None)
        if callable(clear) and callable(value):
            clear()


def _resolve(module, qualname):
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


class _MinorIssueSpy:
    """Records the `minor_issues` dict of a validator frame when it returns (or raises)."""

    def __init__(self, variable):
        self.variable = variable
        self.seen = {}

    def __call__(self, frame, event, _arg):
        if event == "return" and frame.f_code.co_name == "validate":
            found = frame.f_locals.get(self.variable)
            if isinstance(found, dict):
                for key, text in found.items():
                    self.seen.setdefault(str(key), str(text))


def _message(exc):
    """`str(exc)`; for a pydantic ValidationError that wraps the one exception a validator raised
    (`Value error, ...`), that exception's text: what the library's own code said. Every other
    ValidationError (a `Field` bound, a `Literal`, several errors) keeps pydantic's whole text."""
    errors = getattr(exc, "errors", None)
    if type(exc).__name__ == "ValidationError" and callable(errors):
        try:
            items = errors()
        except Exception:
            items = None
        if items and len(items) == 1:
            inner = (items[0].get("ctx") or {}).get("error")
            if isinstance(inner, BaseException):
                return str(inner)
    return str(exc)


def _exception(exc):
    return {
        "type": type(exc).__qualname__,
        "module": type(exc).__module__,
        "message": _message(exc),
        "traceback": "".join(traceback.format_exception(exc))[-4000:],
        "origin": _origin(exc),
        "missing_dependency": _missing_dependency(exc),
    }


def _origin(exc):
    """The module whose code raised: the innermost traceback frame's `__name__` (a call that does
    not fit the constructor's signature is raised from the caller, i.e. from llemc_live)."""
    tb = exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__")


def _missing_dependency(exc):
    """The module an ImportError, or a NameError on an uninstalled module's name (a library that
    guards `import torch` and uses `torch.` later), says is missing; else None."""
    import importlib.util

    if isinstance(exc, ImportError):
        return getattr(exc, "name", None) or str(exc)
    name = getattr(exc, "name", None)
    if isinstance(exc, NameError) and name:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def _run_captured(call, spy_variable, seconds, phase="construct", logger_name="transformers"):
    """Run `call()` capturing warnings, log records (of the root logger and of the library's own
    logger `logger_name`, which may not propagate), minor issues and any exception; every emission
    is tagged with `phase`."""
    _reset_once_caches(logger_name)
    capture = _LogCapture()
    root = logging.getLogger()
    library_logger = logging.getLogger(logger_name)
    saved = (library_logger.handlers[:], library_logger.propagate, root.handlers[:])
    library_logger.handlers = [capture]
    library_logger.propagate = False
    root.handlers = [capture]
    spy = _MinorIssueSpy(spy_variable) if spy_variable else None
    previous_profile = sys.getprofile()
    stdout, stderr = io.StringIO(), io.StringIO()
    result, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if spy is not None:
                sys.setprofile(spy)
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                with deadline(seconds):
                    result = call()
        except BaseException as exc:  # everything the library raises is an observation
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            error = exc
        finally:
            sys.setprofile(previous_profile)
            library_logger.handlers, library_logger.propagate, root.handlers = saved
    emissions = [{"channel": "warnings", "level": "warning",
                  "category": w.category.__qualname__, "message": str(w.message)} for w in caught]
    emissions.extend(capture.records)
    for emission in emissions:
        emission["phase"] = phase
    printed = stdout.getvalue() + stderr.getvalue()
    if printed.strip():
        emissions.append({"channel": "print", "level": "info", "message": printed.strip(),
                          "phase": phase})
    return result, error, emissions, (spy.seen if spy is not None else {})


def observe(arg):
    """Construct `arg["class"]` from `arg["module"]` with `arg["kwargs"]` and report what happened.

    Argument keys: module, class, kwargs (dict), strict (call validate(strict=True) after a
    successful construction when the class has `validate`), minor_issues_variable (name of the
    validator's minor-issue dict, default "minor_issues"), timeout_s (per phase, default 10),
    logger (the library's logger, default: the top-level package of `module`).

    Result keys:
      - outcome: "ok" | "error" | "timeout" | "unavailable" (the class could not be imported or
        needs a dependency that is not installed)
      - phase: "construct" | "validate" — where the exception (if any) came from
      - exception: {type, module, message, traceback, origin, missing_dependency} or null
      - emissions: [{channel: warnings|logger|print, level, message, phase, category?, logger?}]
      - minor_issues: {field: text} collected by the validator (construction and strict phases)
      - attributes: {name: value} of every passed kwarg read back after construction
      - normalised: {name: {"passed": v, "after": v}} where the read-back differs from the input
    """
    return observe_instance(arg)[0]


def observe_instance(arg):
    """`observe`, also returning the constructed instance (None when construction failed) and the
    exception behind `report["exception"]` (or None), for stages that go on from there
    (`llemc_generate`)."""
    module, qualname = arg["module"], arg["class"]
    kwargs = dict(arg.get("kwargs") or {})
    seconds = arg.get("timeout_s", 10)
    spy_variable = arg.get("minor_issues_variable", "minor_issues")
    logger_name = arg.get("logger") or module.split(".")[0]
    report = {"outcome": "ok", "phase": "construct", "exception": None, "emissions": [],
              "minor_issues": {}, "attributes": {}, "normalised": {}}
    try:
        cls = _resolve(module, qualname)
    except Exception as exc:
        report["outcome"] = "unavailable"
        report["exception"] = _exception(exc)
        return report, None, exc
    instance, error, emissions, minor = _run_captured(lambda: cls(**kwargs), spy_variable, seconds,
                                                      logger_name=logger_name)
    report["emissions"].extend(emissions)
    report["minor_issues"].update(minor)
    if error is not None:
        report["exception"] = _exception(error)
        report["outcome"] = _classify(error)
        return report, None, error
    for name, passed in kwargs.items():
        if not hasattr(instance, name):
            continue
        after = getattr(instance, name)
        report["attributes"][name] = jsonable(after)
        if not _same(passed, after):
            report["normalised"][name] = {"passed": jsonable(passed), "after": jsonable(after)}
    validate = getattr(instance, "validate", None)
    if arg.get("strict", True) and callable(validate):
        report["phase"] = "validate"
        _, error, emissions, minor = _run_captured(lambda: _strict(validate), spy_variable, seconds,
                                                   "validate", logger_name)
        report["emissions"].extend(emissions)
        for key, text in minor.items():
            report["minor_issues"].setdefault(key, text)
        if error is not None:
            report["exception"] = _exception(error)
            report["outcome"] = _classify(error)
    return report, instance, error


def _strict(validate):
    try:
        return validate(strict=True)
    except TypeError as exc:
        if "strict" not in str(exc):
            raise
        return validate()


def _classify(error):
    if isinstance(error, ProbeTimeout):
        return "timeout"
    if isinstance(error, ImportError):
        return "unavailable"
    return "error"


def _same(passed, after):
    """Whether the library kept a passed value (dict kwargs that became objects count as kept)."""
    if isinstance(passed, dict) and not isinstance(after, dict):
        return True
    try:
        if isinstance(passed, float) and isinstance(after, float) and math.isnan(passed):
            return math.isnan(after)
        return type(passed) is type(after) and passed == after or (
            isinstance(passed, (list, tuple)) and isinstance(after, (list, tuple))
            and list(passed) == list(after))
    except Exception:
        return False
