#!/usr/bin/env python3
"""cut-proxy.py LISTEN_PORT TARGET_PORT MODE N READY - a TCP proxy
on 127.0.0.1 that cuts a connection (both ways) once N bytes came from
the target: MODE "once" cuts only the first connection, "always" every
one.  READY is created once it listens.  The drop looks to the client
like a server or network failure in the middle of a transfer.  For tests/remote only."""
import socket
import sys
import threading

listen_port, target_port, mode, limit = (int(sys.argv[1]), int(sys.argv[2]),
                                         sys.argv[3], int(sys.argv[4]))
ready = sys.argv[5]
lock = threading.Lock()
cuts = 0


def pump(src, dst, count, conn_state):
    global cuts
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if count and conn_state["cut"]:
                room = limit - sent
                if len(data) >= room:
                    dst.sendall(data[:room])
                    sys.stderr.write("cut after %d bytes\n" % limit)
                    break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    global cuts
    with lock:
        cut = mode == "always" or cuts == 0
        if cut:
            cuts += 1
    server = socket.create_connection(("127.0.0.1", target_port))
    state = {"cut": cut}
    t = threading.Thread(target=pump, args=(client, server, False, state),
                         daemon=True)
    t.start()
    pump(server, client, True, state)
    t.join()
    client.close()
    server.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen_port))
ls.listen(16)
open(ready, "w").close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
