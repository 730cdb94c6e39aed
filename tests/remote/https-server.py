#!/usr/bin/env python3
"""https-server.py - a small HTTPS file server on 127.0.0.1 for the
remote tests, with what SimpleHTTPRequestHandler lacks: Range requests
(RFC 9110 14: one "bytes=a-b", "a-" or "-n" range, answered 206 with
Content-Range, or 416), HTTP/1.1 keep-alive, and failure modes.

usage: https-server.py PORT ROOT CERT KEY READY [options]
  --drop-after N   once, after N body bytes in total, cut the connection
                   in the middle of a response
  --stall-after N  after N body bytes in total, send nothing more (every
                   later response sends its headers, then holds the
                   connection open without a byte)
  --cookie C       answer 401 unless the request has "Cookie: C"
  --no-head        answer HEAD with 405 (clients must use Content-Range)
  --ignore-range   answer every GET with 200 and the whole file
READY is created once the server listens.  For tests/remote only."""
import argparse
import http.server
import os
import re
import socket
import ssl
import sys
import threading
import time

ap = argparse.ArgumentParser()
for a in ("port", "root", "cert", "key", "ready"):
    ap.add_argument(a)
ap.add_argument("--drop-after", type=int, default=-1)
ap.add_argument("--stall-after", type=int, default=-1)
ap.add_argument("--cookie")
ap.add_argument("--no-head", action="store_true")
ap.add_argument("--ignore-range", action="store_true")
args = ap.parse_args()

lock = threading.Lock()
state = {"sent": 0, "dropped": False}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        sys.stderr.write("%s %s\n" % (self.requestline,
                                      self.headers.get("Range", "-")))

    def fail(self, code):
        self.send_response(code)
        body = b"error %d\n" % code
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def resolve(self):
        if args.cookie is not None and \
                self.headers.get("Cookie") != args.cookie:
            self.fail(401)
            return None
        path = os.path.normpath(self.path.split("?", 1)[0])
        full = os.path.join(args.root, path.lstrip("/"))
        if not os.path.isfile(full):
            self.fail(404)
            return None
        return full

    def do_HEAD(self):
        if args.no_head:
            self.fail(405)
            return
        full = self.resolve()
        if full is None:
            return
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(full)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()

    def do_GET(self):
        full = self.resolve()
        if full is None:
            return
        size = os.path.getsize(full)
        start, end, code = 0, size - 1, 200
        rng = self.headers.get("Range")
        if rng and not args.ignore_range:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not m or (m.group(1) == "" and m.group(2) == ""):
                self.fail(416)
                return
            if m.group(1) == "":
                start, end = max(0, size - int(m.group(2))), size - 1
            else:
                start = int(m.group(1))
                end = int(m.group(2)) if m.group(2) else size - 1
                end = min(end, size - 1)
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            code = 206
        self.send_response(code)
        self.send_header("Content-Length", str(end - start + 1))
        if code == 206:
            self.send_header("Content-Range",
                             "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        with open(full, "rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(left, 65536))
                with lock:
                    cut = None
                    stall = args.stall_after >= 0 and \
                        state["sent"] + len(data) > args.stall_after
                    if stall:
                        cut = max(args.stall_after - state["sent"], 0)
                    elif args.drop_after >= 0 and not state["dropped"] and \
                            state["sent"] + len(data) > args.drop_after:
                        cut = args.drop_after - state["sent"]
                        state["dropped"] = True
                    state["sent"] += len(data) if cut is None else cut
                if stall:
                    self.wfile.write(data[:cut])
                    self.wfile.flush()
                    sys.stderr.write("stalled\n")
                    time.sleep(3600)        # a daemon thread: dies with us
                    return
                if cut is not None:
                    self.wfile.write(data[:max(cut, 0)])
                    self.wfile.flush()
                    sys.stderr.write("dropped the connection\n")
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(data)
                left -= len(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        sock, addr = super().get_request()
        # The handshake happens in the handler thread, on first read.
        return ctx.wrap_socket(sock, server_side=True,
                               do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass                        # clients that hang up are expected


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
srv = Server(("127.0.0.1", int(args.port)), Handler)
open(args.ready, "w").close()
srv.serve_forever()
