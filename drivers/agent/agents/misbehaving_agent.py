#!/usr/bin/python3
"""An agent that misbehaves in one way, for the tests of rpcfit's agent driver.

    misbehaving_agent.py MODE [MARKER]

It is stdlib_agent.py (beside it) but for MODE:
  no-hello        reads requests and never answers
  crash-at-hello  writes to stderr and exits with status 3 at hello
  garbage         answers hello with a line that is not JSON
  version-2       answers hello speaking protocol version 2
  wrong-id        answers hello under an id it was not asked
  crash-in-call   starts a child (`sleep`, its pid on stderr), then exits at the first call
  garbage-in-call answers the first call with a line that is not JSON
  hang-in-call    never answers a call (the runtime under test holding its thread)
  crash-once      crash-in-call when the file MARKER does not exist (it makes it), else behaves
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stdlib_agent  # noqa: E402


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    mode = sys.argv[1]
    if mode == "crash-once":
        marker = sys.argv[2]
        if os.path.exists(marker):
            mode = "behave"
        else:
            open(marker, "w").close()
            mode = "crash-in-call"
    agent = stdlib_agent.Agent()
    for line in sys.stdin:
        req = json.loads(line)
        op = req.get("op")
        if op == "hello":
            if mode == "no-hello":
                continue
            if mode == "crash-at-hello":
                print("crash-at-hello: giving up", file=sys.stderr, flush=True)
                sys.exit(3)
            if mode == "garbage":
                say("Hello, this is not JSON")
                continue
            if mode == "wrong-id":
                say(json.dumps({"id": 99, "ok": True}))
                continue
            if mode == "version-2":
                say(json.dumps({"id": req["id"], "ok": True, "protocol": 2,
                                "implementation": "misbehaving", "version": "2", "now_us": 0,
                                "capabilities": {}}))
                continue
            if mode == "crash-in-call":
                child = subprocess.Popen(["sleep", "1000"])
                print("child pid %d" % child.pid, file=sys.stderr, flush=True)
        if op == "call":
            if mode == "crash-in-call":
                print("crash-in-call: dying in the middle of a call", file=sys.stderr, flush=True)
                os._exit(9)
            if mode == "garbage-in-call":
                say("{not json")
                continue
            if mode == "hang-in-call":
                continue
        if agent.handle(req) is True:
            break


if __name__ == "__main__":
    main()
