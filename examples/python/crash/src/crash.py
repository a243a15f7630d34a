"""Dies on request.

Input ``"exit:N"`` exits at once with code N, ``"kill"`` kills the process with
SIGKILL, ``"sleep:S"`` sleeps S seconds first, ``"pid"`` returns the process id
and anything else returns "alive".
"""

import os
import signal
import time


def apply(input):
    """Crash as the input asks, or report that the runner is alive."""
    if input == "pid":
        return os.getpid()
    if isinstance(input, str) and input.startswith("sleep:"):
        time.sleep(float(input[len("sleep:"):]))
    if input == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if isinstance(input, str) and input.startswith("exit:"):
        os._exit(int(input[len("exit:"):]))
    return "alive"
