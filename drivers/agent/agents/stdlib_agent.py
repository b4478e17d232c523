#!/usr/bin/python3
"""An rpcfit agent in Python with nothing but the standard library (drivers/agent/PROTOCOL.md).

Its runtime is its own, written here: a DCE/RPC connection-oriented client over ncacn_ip_tcp
(bind, request, response and fault, co_cancel, orphaned) with a Win32-like cancel API. It shows
what an agent is (the protocol is the upper half of this file) and is a second runtime the
suite can judge: `rpcfit run --client-agent 'python3 drivers/agent/agents/stdlib_agent.py'`.
It plays the client role only, without asynchronous calls or access masks.
"""

import json
import queue
import socket
import struct
import sys
import threading
import time
import uuid

PROTOCOL = 1
RPC_S_OK = 0
RPC_S_INVALID_BINDING = 1702
RPC_S_CALL_FAILED = 1726
RPC_S_CALL_CANCELLED = 1818
RPC_S_INVALID_TIMEOUT = 1709
ERROR_INVALID_HANDLE = 6
NCA_S_FAULT_CANCEL = 0x1C00000D

TEST_INTERFACE = uuid.UUID("aa4b9a65-9bbb-456a-9fad-4a7ad417b890")
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
BIND, BIND_ACK, REQUEST, RESPONSE, FAULT, CO_CANCEL, ORPHANED = 11, 12, 0, 2, 3, 18, 19
FIRST, LAST, PENDING_CANCEL = 0x01, 0x02, 0x04
MAX_PDU = 1 << 16


def now_us():
    return time.monotonic_ns() // 1000


# ---- the runtime: a connection-oriented client ----

def header(ptype, flags, call_id, body_len):
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\x00\x00\x00", 16 + body_len, 0,
                       call_id)


class Connection:
    """One TCP connection, bound to the test interface."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.lock = threading.Lock()  # one writer at a time: the caller and a cancel
        ctx = struct.pack("<HBB", 0, 1, 0) + TEST_INTERFACE.bytes_le + struct.pack("<I", 1)
        ctx += NDR.bytes_le + struct.pack("<I", 2)
        body = struct.pack("<HHIB3x", 5840, 5840, 0, 1) + ctx
        self.send(header(BIND, FIRST | LAST, 1, len(body)) + body)
        ptype, _, _, _ = self.receive()
        if ptype != BIND_ACK:
            raise OSError("bind refused")

    def send(self, pdu):
        with self.lock:
            self.sock.sendall(pdu)

    def receive(self):
        head = self._exactly(16)
        _, _, ptype, flags, _, frag_len, _, call_id = struct.unpack("<BBBB4sHHI", head)
        if frag_len < 16 or frag_len > MAX_PDU:
            raise OSError("frag_length %d" % frag_len)
        return ptype, flags, call_id, self._exactly(frag_len - 16)

    def _exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise OSError("connection closed")
            data += chunk
        return data

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class ClientThread:
    """What the cancel API knows of a thread: its cancel timeout and its call in progress."""

    def __init__(self):
        self.cancel_timeout = -1  # RPC_C_CANCEL_INFINITE_TIMEOUT
        self.call = None  # (connection, call_id, cancelled Event) while a call runs


class Runtime:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.lock = threading.Lock()
        self.next_call_id = 1

    def call(self, thread, opnum, stub):
        """A synchronous call: (returned, status, output, detail)."""
        try:
            conn = Connection(self.host, self.port)
        except OSError as e:
            return False, 1722, b"", "RPC_S_SERVER_UNAVAILABLE: %s" % e
        with self.lock:
            call_id = self.next_call_id
            self.next_call_id += 1
        cancelled = threading.Event()
        outcome = {}
        thread.call = (conn, call_id, cancelled, outcome)

        def read():
            try:
                ptype, _, _, body = conn.receive()
                outcome["pdu"] = (ptype, body)
            except OSError as e:
                outcome["error"] = str(e)
            cancelled.set()

        reader = threading.Thread(target=read, daemon=True)
        try:
            body = struct.pack("<IHH", len(stub), 0, opnum) + stub
            conn.send(header(REQUEST, FIRST | LAST, call_id, len(body)) + body)
            reader.start()
            cancelled.wait()  # the answer, or a cancel that ended the call
        except OSError as e:
            outcome["error"] = str(e)
        finally:
            thread.call = None
        conn.close()
        if "orphaned" in outcome:
            return False, RPC_S_CALL_CANCELLED, b"", "RPC_S_CALL_CANCELLED (orphaned)"
        if "pdu" not in outcome:
            return False, RPC_S_CALL_FAILED, b"", "RPC_S_CALL_FAILED: " + outcome.get("error", "")
        ptype, body = outcome["pdu"]
        if ptype == RESPONSE and len(body) >= 8:
            return True, RPC_S_OK, body[8:], ""
        if ptype == FAULT and len(body) >= 12:
            status = struct.unpack_from("<I", body, 8)[0]
            if status == NCA_S_FAULT_CANCEL:
                return False, RPC_S_CALL_CANCELLED, b"", "RPC_S_CALL_CANCELLED raised"
            return False, status, b"", "fault %#x" % status
        return False, RPC_S_CALL_FAILED, b"", "RPC_S_CALL_FAILED: PDU type %d" % ptype

    def cancel(self, thread, timeout):
        """RpcCancelThreadEx on `thread`: co_cancel now; orphaned once `timeout` passes."""
        if thread.call is None:
            return RPC_S_OK
        conn, call_id, ended, outcome = thread.call
        try:
            conn.send(header(CO_CANCEL, LAST | PENDING_CANCEL, call_id, 0))
        except OSError:
            return RPC_S_OK
        if timeout < 0:
            return RPC_S_OK

        def orphan():
            if ended.wait(timeout):
                return
            try:
                conn.send(header(ORPHANED, FIRST | LAST, call_id, 0))
            except OSError:
                pass
            outcome["orphaned"] = True
            ended.set()

        threading.Thread(target=orphan, daemon=True).start()
        return RPC_S_OK


# ---- the agent: the protocol on stdin and stdout ----

class Agent:
    def __init__(self):
        self.out_lock = threading.Lock()
        self.runtime = None
        self.threads = {}  # name -> (ClientThread, queue of tasks)
        self.handles = {}  # name -> thread name
        self.next_handle = 1

    def write(self, message):
        line = json.dumps(message, separators=(",", ":")) + "\n"
        with self.out_lock:
            sys.stdout.write(line)
            sys.stdout.flush()

    def answer(self, rid, **fields):
        self.write(dict(id=rid, ok=True, **fields))

    def refuse(self, rid, error):
        self.write({"id": rid, "ok": False, "error": error})

    def on_thread(self, name, task):
        self.threads[name][1].put(task)

    def start_thread(self, rid, name):
        if name in self.threads:
            return self.refuse(rid, "a thread named %s exists" % name)
        tasks = queue.Queue()
        self.threads[name] = (ClientThread(), tasks)

        def loop():
            self.answer(rid, thread_id=threading.get_native_id())
            while True:
                task = tasks.get()
                if task is None:
                    return
                task()

        threading.Thread(target=loop, daemon=True).start()

    def handle(self, req):
        rid, op = req.get("id"), req.get("op")
        if op == "hello":
            if PROTOCOL not in req.get("versions", []):
                return self.refuse(rid, "speaks protocol version 1 only")
            if req.get("role") != "client":
                return self.refuse(rid, "plays the client role only")
            caps = {"roles": ["client"], "protseqs": ["ncacn_ip_tcp"], "async": False,
                    "set_cancel_timeout": True, "cancel_thread": True, "access_masks": False,
                    "server_test_cancel": False}
            return self.answer(rid, protocol=PROTOCOL, implementation="python-stdlib-co",
                               version="1", now_us=now_us(), capabilities=caps)
        if op == "clock":
            return self.answer(rid, now_us=now_us())
        if op == "bind":
            binding = req.get("binding", "")
            try:
                protseq, rest = binding.split(":", 1)
                host, port = rest.rstrip("]").split("[")
                if protseq != "ncacn_ip_tcp":
                    raise ValueError(protseq)
                self.runtime = Runtime(host or "127.0.0.1", int(port))
            except ValueError:
                return self.answer(rid, status=RPC_S_INVALID_BINDING)
            return self.answer(rid, status=RPC_S_OK)
        if op == "start_thread":
            return self.start_thread(rid, req["thread"])
        if op in ("call", "set_cancel_timeout"):
            name = req.get("thread")
            if name not in self.threads:
                return self.refuse(rid, "no thread named %s" % name)
            thread = self.threads[name][0]
            if op == "set_cancel_timeout":
                def set_timeout():
                    began = now_us()
                    thread.cancel_timeout = req["timeout"]
                    self.answer(rid, status=RPC_S_OK, began_us=began, ended_us=now_us())
                return self.on_thread(name, set_timeout)

            def call():
                began = now_us()
                returned, status, output, detail = self.runtime.call(
                    thread, req["opnum"], bytes.fromhex(req["input"]))
                self.answer(rid, returned=returned, status=status, output=output.hex(),
                            detail=detail, began_us=began, ended_us=now_us())
            return self.on_thread(name, call)
        if op == "open_thread":
            if req.get("target") not in self.threads:
                return self.answer(rid, handle=None)
            name = "h%d" % self.next_handle
            self.next_handle += 1
            self.handles[name] = req["target"]
            return self.answer(rid, handle=name)
        if op == "close_handle":
            return self.answer(rid, closed=self.handles.pop(req.get("handle"), None) is not None)
        if op in ("cancel_thread_ex", "cancel_thread"):
            began = now_us()
            target = self.handles.get(req.get("handle"))
            if target is None:
                return self.answer(rid, status=ERROR_INVALID_HANDLE, began_us=began,
                                   ended_us=now_us())
            thread = self.threads[target][0]
            timeout = req["timeout"] if op == "cancel_thread_ex" else thread.cancel_timeout
            if timeout < -1:
                return self.answer(rid, status=RPC_S_INVALID_TIMEOUT, began_us=began,
                                   ended_us=now_us())
            status = self.runtime.cancel(thread, timeout)
            return self.answer(rid, status=status, began_us=began, ended_us=now_us())
        if op == "end_calls":
            for thread, _ in self.threads.values():
                if self.runtime is not None:
                    self.runtime.cancel(thread, 0)
            return self.answer(rid)
        if op == "shutdown":
            for _, tasks in self.threads.values():
                tasks.put(None)
            self.answer(rid, left="")
            return True
        return self.refuse(rid, 'no operation "%s"' % op)


def main():
    agent = Agent()
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            print("not JSON: %r" % line[:200], file=sys.stderr)
            continue
        if not isinstance(req, dict) or "id" not in req:
            print("not a request: %r" % line[:200], file=sys.stderr)
            continue
        try:
            if agent.handle(req) is True:
                break
        except (KeyError, TypeError, ValueError) as e:
            agent.refuse(req["id"], "bad request: %s" % e)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
