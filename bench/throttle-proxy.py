#!/usr/bin/env python3
"""throttle-proxy.py LISTEN_PORT TARGET_PORT BYTES_PER_SECOND READY - a
TCP proxy on 127.0.0.1 that lets each connection carry at most
BYTES_PER_SECOND from the target to the client, as ESXi's datastore
HTTP service throttles every connection on its own.  Bytes from the
client pass unthrottled.  READY is created once it listens.  For
bench/bench-esx.sh.

Each connection is paced on its own clock: after n bytes it may not be
ahead of n / BYTES_PER_SECOND seconds since its first byte, so a
client with k connections open gets k times the rate."""
import socket
import sys
import threading
import time

listen_port, target_port, rate = (int(sys.argv[1]), int(sys.argv[2]),
                                  int(sys.argv[3]))
ready = sys.argv[4]
PIECE = 16384


def quiet(f, *args):
    try:
        f(*args)
    except OSError:
        pass


def upstream(client, server):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            server.sendall(data)
    except OSError:
        pass
    quiet(server.shutdown, socket.SHUT_WR)


def downstream(server, client):
    start = None
    sent = 0
    try:
        while True:
            data = server.recv(PIECE)
            if not data:
                break
            if start is None:
                start = time.monotonic()
            client.sendall(data)
            sent += len(data)
            ahead = start + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    except OSError:
        pass
    quiet(client.shutdown, socket.SHUT_WR)


def handle(client):
    try:
        server = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    # Forward small writes (SOAP calls, headers) at once: Nagle's
    # algorithm against the peers' delayed ACKs would add 40 ms to each
    # exchange, which a direct connection does not pay.
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    up = threading.Thread(target=upstream, args=(client, server), daemon=True)
    up.start()
    downstream(server, client)
    up.join()
    server.close()
    client.close()


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(64)
    open(ready, "w").close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
