#!/usr/bin/python3
"""A foreign DCE/RPC peer for rpcfit's interoperability tests: impacket's DCERPCServer on
ncacn_ip_tcp, loopback, a free port.

Interface 6c9f3c2e-52d1-4b7e-9a0f-3e1d5b7c2a41 v1.0:
  opnum 0  echo  returns its stub input unchanged
  opnum 1  slow  sleeps SLOW_SECONDS (ignoring cancels, as impacket cannot see them), then echoes

Prints the port on one line once the socket listens, then serves until its standard input
closes (or it is killed). DCERPCServer serves one connection at a time on one thread.
"""
import sys
import time

from impacket.dcerpc.v5 import rpcrt

INTERFACE = ('6c9f3c2e-52d1-4b7e-9a0f-3e1d5b7c2a41', '1.0')
SLOW_SECONDS = 1.5


def echo(stub):
    return stub


def slow(stub):
    time.sleep(SLOW_SECONDS)
    return stub


def main():
    server = rpcrt.DCERPCServer()  # binds 127.0.0.1, port 0
    server.daemon = True
    server.addCallbacks(INTERFACE, '', {0: echo, 1: slow})
    # run() calls listen() itself; listening here first means the port is connectable as soon as
    # it is printed (a second listen() only resets the backlog).
    server._sock.listen(10)
    server.start()
    print(server.getListenPort(), flush=True)
    sys.stdin.read()
    return 0


if __name__ == '__main__':
    sys.exit(main())
