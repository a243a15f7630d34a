"""Python LangPack runner: serves one algorithm over the langserver runner contract.

Started with the algorithm's root as the working directory::

    python3 /path/to/pipe.py

It reads ``algorithmia.conf``, imports ``src.<algoname>`` and prints
``PIPE_INIT_COMPLETE`` once the algorithm is loaded. It then reads one JSON
request per line on stdin, calls ``apply(input)`` and writes one JSON response
per request to the FIFO named by ``$ALGOOUT`` (``/tmp/algoout`` when unset).
EOF on stdin ends the runner with exit code 0; a load failure ends it with
exit code 1 before ``PIPE_INIT_COMPLETE``, the reason printed on stderr.

An algorithm whose root holds a ``.adk`` marker runs its own request loop
(Algorithmia ADK style): the runner only sets up the import path and runs
``src/<algoname>.py`` as ``__main__``.

stdout and stderr belong to the algorithm: apart from the ``PIPE_INIT_COMPLETE``
line the runner writes nothing on stdout, and its own diagnostics go to stderr.
Only the standard library is used, and the runner supports Python 3.8 and later.
"""

import base64
import importlib
import json
import os
import runpy
import site
import sys
import traceback

CONFIG_FILE = "algorithmia.conf"
ADK_MARKER = ".adk"
DEPENDENCY_DIR = os.path.join(".langserver", "site-packages")
DEFAULT_FIFO = "/tmp/algoout"
INIT_COMPLETE = "PIPE_INIT_COMPLETE"
DEFAULT_ERROR_TYPE = "AlgorithmError"


class LoadError(Exception):
    """The algorithm folder cannot be served; the message says why."""


def main():
    """Load the algorithm, then serve requests until stdin ends.

    Returns the process exit code.
    """
    _line_buffer_output()
    root = os.getcwd()
    try:
        algoname = _read_algoname(root)
        _set_import_path(root)
        if os.path.exists(os.path.join(root, ADK_MARKER)):
            _run_adk(root, algoname)
            return 0
        requests = _claim_stdin()
        apply = _load_apply(algoname)
    except LoadError as exc:
        print("python runner: {}".format(exc), file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    sys.stdout.write(INIT_COMPLETE + "\n")
    sys.stdout.flush()
    _serve(apply, requests, os.environ.get("ALGOOUT") or DEFAULT_FIFO)
    return 0


def _line_buffer_output():
    """Make stdout and stderr line-buffered, whatever they are connected to.

    The server captures both streams line by line and merges them in arrival
    order, so a complete line must reach it as soon as it is printed. This
    makes ``python3 -u`` unnecessary.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)


def _read_algoname(root):
    """Return the ``algoname`` from the algorithm's ``algorithmia.conf``."""
    path = os.path.join(root, CONFIG_FILE)
    try:
        with open(path, encoding="utf-8") as config_file:
            config = json.load(config_file)
    except OSError as exc:
        raise LoadError("cannot read {}: {}".format(path, exc)) from exc
    except ValueError as exc:
        raise LoadError("{} is not valid JSON: {}".format(path, exc)) from exc
    algoname = config.get("algoname") if isinstance(config, dict) else None
    if not isinstance(algoname, str) or not algoname:
        raise LoadError("{} has no \"algoname\"".format(path))
    return algoname


def _set_import_path(root):
    """Put the algorithm root, then its installed dependencies, first on sys.path.

    The runner's own directory is dropped so that files shipped beside the
    runner cannot shadow the algorithm's modules.
    """
    runner_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [
        entry for entry in sys.path
        if os.path.abspath(entry or os.curdir) != runner_dir
    ]
    sys.path.insert(0, root)
    dependencies = os.path.join(root, DEPENDENCY_DIR)
    if os.path.isdir(dependencies):
        sys.path.insert(1, dependencies)
        # Already on sys.path, so this only processes the folder's .pth files.
        site.addsitedir(dependencies)


def _run_adk(root, algoname):
    """Run ``src/<algoname>.py`` as ``__main__``, as ``python3 src/<algoname>.py`` would."""
    script = os.path.join(root, "src", algoname + ".py")
    if not os.path.isfile(script):
        raise LoadError("{} not found".format(script))
    sys.path.insert(0, os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")


def _claim_stdin():
    """Take the request stream for the runner and give the algorithm /dev/null.

    Requests arrive on file descriptor 0. An algorithm that reads stdin, or a
    subprocess it starts that inherits stdin, would otherwise consume request
    lines meant for the runner.
    """
    requests = os.fdopen(os.dup(0), "rb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return requests


def _load_apply(algoname):
    """Import ``src.<algoname>`` and return its ``apply`` function."""
    module = importlib.import_module("src." + algoname)
    apply = getattr(module, "apply", None)
    if not callable(apply):
        raise LoadError("src/{}.py does not define apply(input)".format(algoname))
    return apply


def _serve(apply, requests, fifo_path):
    """Answer each request line from ``requests`` on the FIFO at ``fifo_path``."""
    for line in requests:
        payload = _encode_response(_handle(apply, line))
        _flush_output()
        with open(fifo_path, "wb") as fifo:
            fifo.write(payload + b"\n")


def _handle(apply, line):
    """Decode one request line, call ``apply`` and return the response object."""
    try:
        data = _decode_input(json.loads(line))
    except (ValueError, TypeError) as exc:
        return _error("invalid request: {}".format(exc), "SystemError")
    try:
        result = apply(data)
    except Exception as exc:
        error_type = getattr(exc, "error_type", None)
        if not isinstance(error_type, str):
            error_type = DEFAULT_ERROR_TYPE
        return _error(str(exc), error_type, traceback.format_exc())
    if isinstance(result, (bytes, bytearray)):
        result = base64.b64encode(result).decode("ascii")
        content_type = "binary"
    elif isinstance(result, str):
        content_type = "text"
    else:
        content_type = "json"
    return {"result": result, "metadata": {"content_type": content_type}}


def _decode_input(request):
    """Return the algorithm input carried by a decoded request object."""
    if not isinstance(request, dict):
        raise ValueError("request is not a JSON object")
    content_type = request.get("content_type")
    data = request.get("data")
    if content_type in ("text", "json"):
        return data
    if content_type == "binary":
        return base64.b64decode(data)
    raise ValueError("unknown content_type {!r}".format(content_type))


def _error(message, error_type, stacktrace=None):
    """Build an error response object."""
    error = {"message": message, "error_type": error_type}
    if stacktrace is not None:
        error["stacktrace"] = stacktrace
    return {"error": error}


def _encode_response(response):
    """Serialise a response as compact UTF-8 JSON.

    A result that JSON cannot represent (an unknown type, NaN, a circular
    reference) is reported as an algorithm error instead.
    """
    try:
        return _dumps(response)
    except (TypeError, ValueError, RecursionError) as exc:
        return _dumps(_error(
            "result is not JSON serializable: {!r}".format(exc),
            DEFAULT_ERROR_TYPE,
        ))


def _dumps(value):
    """Encode ``value`` as compact JSON bytes, keeping non-ASCII text as UTF-8."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates have no UTF-8 form; \u escapes keep the JSON valid.
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")


def _flush_output():
    """Flush the algorithm's stdout and stderr so their output precedes the response."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            # The algorithm replaced or closed the stream; there is nothing to flush.
            pass


if __name__ == "__main__":
    sys.exit(main())
