#!/usr/bin/python3
"""A foreign DCE/RPC client for rpcfit's interoperability tests: impacket's DCERPC_v5 over
ncacn_ip_tcp calls one opnum of rpcfit's test interface (what `rpcfit serve` offers).

Usage: impacket_client.py PORT OPNUM HEX_INPUT
Prints one line: "ok <hex of the response stub> <seconds the call took>", or "error <text>"
(exit status 1).
"""
import sys
import time

from impacket.dcerpc.v5 import transport
from impacket.uuid import uuidtup_to_bin

INTERFACE = ('aa4b9a65-9bbb-456a-9fad-4a7ad417b890', '1.0')


def main():
    port, opnum, stub = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
    try:
        rpc = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%s]' % port)
        dce = rpc.get_dce_rpc()
        dce.connect()
        dce.bind(uuidtup_to_bin(INTERFACE))
        start = time.monotonic()
        dce.call(opnum, stub)
        answer = dce.recv()
        took = time.monotonic() - start
        dce.disconnect()
    except Exception as e:  # impacket raises many kinds; the test reads the text
        print('error %s' % e, flush=True)
        return 1
    print('ok %s %.3f' % (answer.hex(), took), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
