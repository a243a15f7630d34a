"""A scriptable runner for the pipe tests.

argv[1], optional, is a JSON object:
  pre         actions run before printing PIPE_INIT_COMPLETE
  eof_exit    exit status on EOF on stdin (default 0)
  ignore_eof  keep running after EOF
Each request's "data" is a list of actions, each a one-key object:
  out/err TEXT, flood N (N bytes of 100-byte lines), flood_line N (one line
  without newline), result V, respond V, raw TEXT (all three to the FIFO),
  mode close|chunks|nonl|keep|keep-nonl (how the FIFO is written),
  exit N, sleep SECONDS, await PATH (wait until the file exists), spawn ARGV,
  pid, echo (result = the request).
"""
import json
import os
import subprocess
import sys
import time

cfg = (json.loads(sys.argv[1]) if len(sys.argv) > 1 else None) or {}
fifo = os.environ["ALGOOUT"]
kept = None
mode = "close"


def write_all(fd, b):
    while b:
        b = b[os.write(fd, b):]


def to_fifo(b):
    global kept
    if mode.startswith("keep"):
        if kept is None:
            kept = os.open(fifo, os.O_WRONLY)
        write_all(kept, b)
        return
    fd = os.open(fifo, os.O_WRONLY)
    if mode == "chunks":
        for i in range(0, len(b), 5):
            write_all(fd, b[i:i + 5])
            time.sleep(0.001)
    else:
        write_all(fd, b)
    os.close(fd)


def respond(value):
    b = json.dumps(value).encode()
    if not mode.endswith("nonl"):
        b += b"\n"
    to_fifo(b)


def flood(n, line):
    chunk = (b"x" * 99 + b"\n") * 10000 if line else b"x" * 1000000
    while n > 0:
        write_all(1, chunk[:n])
        n -= len(chunk)


def act(a, request):
    global mode
    (k, v), = a.items()
    if k == "out":
        write_all(1, v.encode())
    elif k == "err":
        write_all(2, v.encode())
    elif k == "flood":
        flood(v, True)
    elif k == "flood_line":
        flood(v, False)
    elif k == "result":
        respond({"result": v, "metadata": {"content_type": "json"}})
    elif k == "respond":
        respond(v)
    elif k == "raw":
        to_fifo(v.encode())
    elif k == "mode":
        mode = v
    elif k == "exit":
        os._exit(v)
    elif k == "sleep":
        time.sleep(v)
    elif k == "await":
        while not os.path.exists(v):
            time.sleep(0.005)
    elif k == "spawn":
        child = subprocess.Popen(v)
        write_all(1, b"child %d\n" % child.pid)
    elif k == "pid":
        respond({"result": os.getpid(), "metadata": {"content_type": "json"}})
    elif k == "echo":
        respond({"result": request, "metadata": {"content_type": "json"}})
    else:
        raise ValueError(k)


for a in cfg.get("pre", []):
    act(a, None)
write_all(1, b"PIPE_INIT_COMPLETE\n")
while True:
    line = sys.stdin.buffer.readline()
    if not line:
        break
    request = json.loads(line)
    for a in request["data"]:
        act(a, request)
while cfg.get("ignore_eof"):
    time.sleep(1)
sys.exit(cfg.get("eof_exit", 0))
