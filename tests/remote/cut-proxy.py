#!/usr/bin/env python3
"""cut-proxy.py LISTEN_PORT TARGET_PORT MODE N READY - a TCP proxy
on 127.0.0.1 that cuts a connection once N bytes came from the target:
MODE "once" cuts only the first connection, "always" every one.  READY
is created once it listens.  For tests/remote only.

A cut delivers exactly the first N bytes to the client, then end of
stream (FIN), and drops the target's side: to the client it looks like
the server or the network failing in the middle of a transfer.  What
the client sends after the cut is read and thrown away until it closes
(or 30 s pass): closing a socket with unread input makes the kernel
send a reset, which also throws away whatever part of the N bytes was
still in the proxy's send buffer -- with a slow client (a sanitizer
build) the client would then see an unknown, possibly empty, part of
them, and "cut after N bytes" would depend on timing."""
import socket
import sys
import threading

listen_port, target_port, mode, limit = (int(sys.argv[1]), int(sys.argv[2]),
                                         sys.argv[3], int(sys.argv[4]))
ready = sys.argv[5]
lock = threading.Lock()
cuts = 0
DRAIN_TIMEOUT = 30


def quiet(f, *args):
    try:
        f(*args)
    except OSError:
        pass


def upstream(client, server, state):
    """client -> server until the client's end of stream; after a cut
    the client's bytes are read and dropped."""
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if not state["cut"]:
                try:
                    server.sendall(data)
                except OSError:
                    state["cut"] = True     # the target went away
    except OSError:
        pass
    quiet(server.shutdown, socket.SHUT_WR)


def downstream(server, client, state, cutting):
    """server -> client; with cutting, at most limit bytes."""
    sent = 0
    try:
        while True:
            data = server.recv(65536)
            if not data:
                break
            if cutting and sent + len(data) >= limit:
                client.sendall(data[:limit - sent])
                state["cut"] = True
                sys.stderr.write("cut after %d bytes\n" % limit)
                quiet(server.shutdown, socket.SHUT_RDWR)
                break
            client.sendall(data)
            sent += len(data)
    except OSError:
        pass
    quiet(client.shutdown, socket.SHUT_WR)  # FIN after the data


def serve(client):
    global cuts
    with lock:
        cutting = mode == "always" or cuts == 0
        if cutting:
            cuts += 1
    try:
        server = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    state = {"cut": False}
    client.settimeout(DRAIN_TIMEOUT)
    t = threading.Thread(target=upstream, args=(client, server, state),
                         daemon=True)
    t.start()
    downstream(server, client, state, cutting)
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
