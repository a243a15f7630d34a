"""An ADK-style algorithm: it runs its own request loop, as the Algorithmia ADK does.

``load()`` runs once before ``PIPE_INIT_COMPLETE`` and reads the reply prefix
from ``prefix.txt`` beside this file; ``apply(input, state)`` answers
``"adk: <input>"``. If loading fails, the algorithm still becomes ready and
answers every request with a ``LoadingError`` (remove ``prefix.txt`` to see it).
Only the standard library is used.
"""

import base64
import json
import os
import sys
import traceback

PREFIX_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prefix.txt")


def load():
    """Return the state shared by all requests."""
    with open(PREFIX_FILE, encoding="utf-8") as prefix_file:
        return {"prefix": prefix_file.read().strip()}


def apply(input, state):
    """Answer one request."""
    return "{}: {}".format(state["prefix"], input)


def serve(fifo_path):
    """Load, announce readiness, then answer each stdin line on the FIFO."""
    try:
        state = load()
        load_error = None
    except Exception as exc:
        state = None
        load_error = _error(exc, "LoadingError")
    print("PIPE_INIT_COMPLETE", flush=True)
    for line in sys.stdin:
        response = load_error or _call(json.loads(line), state)
        sys.stdout.flush()
        sys.stderr.flush()
        with open(fifo_path, "w", encoding="utf-8") as fifo:
            fifo.write(json.dumps(response) + "\n")


def _call(request, state):
    """Call apply() on a decoded request and return the response object."""
    try:
        data = request["data"]
        if request["content_type"] == "binary":
            data = base64.b64decode(data)
        result = apply(data, state)
    except Exception as exc:
        return _error(exc, "AlgorithmError")
    if isinstance(result, bytes):
        return {"result": base64.b64encode(result).decode("ascii"),
                "metadata": {"content_type": "binary"}}
    content_type = "text" if isinstance(result, str) else "json"
    return {"result": result, "metadata": {"content_type": content_type}}


def _error(exc, error_type):
    """Build an error response for the exception being handled."""
    return {"error": {"message": str(exc), "error_type": error_type,
                      "stacktrace": traceback.format_exc()}}


if __name__ == "__main__":
    serve(os.environ.get("ALGOOUT") or "/tmp/algoout")
