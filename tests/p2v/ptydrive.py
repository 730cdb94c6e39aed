#!/usr/bin/env python3
"""ptydrive.py - drive a full-screen terminal program in a pseudo-terminal.

usage: ptydrive.py [--rows N] [--cols N] [--timeout S] [--log FILE]
                   SCRIPT -- COMMAND [ARGS...]

COMMAND runs in a new pseudo-terminal of ROWSxCOLS (default 24x80) with
TERM=vt100.  What it writes is played on a small VT100 screen model
(cursor moves, erase, scroll region, the line-drawing character set):
newt/S-Lang redraw only the cells that change, so the plain byte stream
with its escape sequences stripped does not hold the screen's text.

SCRIPT has one command a line (blank lines and # comments skipped):
  expect TEXT    wait until TEXT is on the screen (timeout: fail)
  absent TEXT    TEXT is not on the screen now
  send KEYS      type KEYS; Python escapes: \\r Enter, \\t Tab, \\x1b Esc,
                 \\x7f Backspace, \\x20 Space, \\x1b[B Down
  sleep S        wait S seconds, reading the screen meanwhile
  exit STATUS    wait for COMMAND to end with STATUS (timeout: fail)
Each step is echoed on stderr; on a failure the screen is dumped there
and ptydrive exits 1.  --log FILE gets every screen seen, as text.

Only the Python standard library (pty, os, select).
"""
import os
import pty
import select
import signal
import struct
import sys
import time
import fcntl
import termios

ACS = {"q": "-", "x": "|", "l": "+", "k": "+", "m": "+", "j": "+",
       "t": "+", "u": "+", "v": "+", "w": "+", "n": "+", "a": "#",
       "`": "*", "~": "*", "0": "#", "h": "#"}


class Screen:
    """Just enough of a VT100 for newt and dialog."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.grid = [[" "] * cols for _ in range(rows)]
        self.y = self.x = 0
        self.top, self.bottom = 0, rows - 1
        self.saved = (0, 0)
        self.g0_acs = self.g1_acs = False
        self.shift_out = False
        self.pending = ""

    def text(self):
        return "\n".join("".join(r).rstrip() for r in self.grid)

    def _scroll_up(self):
        del self.grid[self.top]
        self.grid.insert(self.bottom, [" "] * self.cols)

    def _scroll_down(self):
        del self.grid[self.bottom]
        self.grid.insert(self.top, [" "] * self.cols)

    def _lf(self):
        if self.y == self.bottom:
            self._scroll_up()
        elif self.y < self.rows - 1:
            self.y += 1

    def _put(self, ch):
        if self.x >= self.cols:
            self.x = 0
            self._lf()
        acs = self.g1_acs if self.shift_out else self.g0_acs
        if acs:
            ch = ACS.get(ch, ch)
        self.grid[self.y][self.x] = ch
        self.x += 1

    def _csi(self, params, final):
        private = params.startswith("?")
        ps = [int(p) if p.isdigit() else 0
              for p in params.lstrip("?").split(";")] if params else []
        n = ps[0] if ps and ps[0] else 1
        if private:
            return
        if final == "H" or final == "f":
            r = (ps[0] if len(ps) > 0 and ps[0] else 1) - 1
            c = (ps[1] if len(ps) > 1 and ps[1] else 1) - 1
            self.y = min(max(r, 0), self.rows - 1)
            self.x = min(max(c, 0), self.cols - 1)
        elif final == "A":
            self.y = max(self.y - n, 0)
        elif final == "B":
            self.y = min(self.y + n, self.rows - 1)
        elif final == "C":
            self.x = min(self.x + n, self.cols - 1)
        elif final == "D":
            self.x = max(self.x - n, 0)
        elif final == "G":
            self.x = min(max(n - 1, 0), self.cols - 1)
        elif final == "d":
            self.y = min(max(n - 1, 0), self.rows - 1)
        elif final == "J":
            mode = ps[0] if ps else 0
            if mode == 0:
                self.grid[self.y][self.x:] = [" "] * (self.cols - self.x)
                for r in range(self.y + 1, self.rows):
                    self.grid[r] = [" "] * self.cols
            elif mode == 1:
                for r in range(0, self.y):
                    self.grid[r] = [" "] * self.cols
                self.grid[self.y][:self.x + 1] = [" "] * (self.x + 1)
            else:
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "K":
            mode = ps[0] if ps else 0
            row = self.grid[self.y]
            if mode == 0:
                row[self.x:] = [" "] * (self.cols - self.x)
            elif mode == 1:
                row[:self.x + 1] = [" "] * (self.x + 1)
            else:
                self.grid[self.y] = [" "] * self.cols
        elif final == "r":
            t = (ps[0] if len(ps) > 0 and ps[0] else 1) - 1
            b = (ps[1] if len(ps) > 1 and ps[1] else self.rows) - 1
            self.top, self.bottom = max(t, 0), min(b, self.rows - 1)
            self.y = self.x = 0
        elif final == "L":
            for _ in range(n):
                if self.top <= self.y <= self.bottom:
                    del self.grid[self.bottom]
                    self.grid.insert(self.y, [" "] * self.cols)
        elif final == "M":
            for _ in range(n):
                if self.top <= self.y <= self.bottom:
                    del self.grid[self.y]
                    self.grid.insert(self.bottom, [" "] * self.cols)
        elif final == "P":
            row = self.grid[self.y]
            del row[self.x:self.x + n]
            row.extend([" "] * (self.cols - len(row)))
        elif final == "@":
            row = self.grid[self.y]
            for _ in range(n):
                row.insert(self.x, " ")
            del row[self.cols:]
        elif final == "X":
            row = self.grid[self.y]
            for i in range(self.x, min(self.x + n, self.cols)):
                row[i] = " "
        # m (colours), h/l (modes), others: no text

    def feed(self, data):
        s = self.pending + data
        self.pending = ""
        i = 0
        while i < len(s):
            ch = s[i]
            if ch == "\x1b":
                if i + 1 >= len(s):
                    self.pending = s[i:]
                    return
                nxt = s[i + 1]
                if nxt == "[":
                    j = i + 2
                    while j < len(s) and not ("\x40" <= s[j] <= "\x7e"):
                        j += 1
                    if j >= len(s):
                        self.pending = s[i:]
                        return
                    self._csi(s[i + 2:j], s[j])
                    i = j + 1
                    continue
                if nxt in "()":
                    if i + 2 >= len(s):
                        self.pending = s[i:]
                        return
                    acs = s[i + 2] == "0"
                    if nxt == "(":
                        self.g0_acs = acs
                    else:
                        self.g1_acs = acs
                    i += 3
                    continue
                if nxt == "7":
                    self.saved = (self.y, self.x)
                elif nxt == "8":
                    self.y, self.x = self.saved
                elif nxt == "D":
                    self._lf()
                elif nxt == "E":
                    self.x = 0
                    self._lf()
                elif nxt == "M":
                    if self.y == self.top:
                        self._scroll_down()
                    elif self.y > 0:
                        self.y -= 1
                elif nxt == "c":
                    self.__init__(self.rows, self.cols)
                i += 2
                continue
            if ch == "\r":
                self.x = 0
            elif ch == "\n" or ch == "\x0b" or ch == "\x0c":
                self._lf()
            elif ch == "\x08":
                self.x = max(self.x - 1, 0)
            elif ch == "\t":
                self.x = min((self.x // 8 + 1) * 8, self.cols - 1)
            elif ch == "\x0e":
                self.shift_out = True
            elif ch == "\x0f":
                self.shift_out = False
            elif ch >= " " and ch != "\x7f":
                self._put(ch)
            i += 1


class Driver:
    def __init__(self, argv, rows, cols, log):
        self.screen = Screen(rows, cols)
        self.log = log
        self.status = None
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["TERM"] = "vt100"
            os.environ["LINES"] = str(rows)
            os.environ["COLUMNS"] = str(cols)
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        fcntl.ioctl(fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))
        self.pid, self.fd = pid, fd
        self.last_logged = None

    def pump(self, seconds):
        """Read what comes for up to seconds; False once the pty closed."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return True
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                return False
            self.screen.feed(data.decode("utf-8", "replace"))
            text = self.screen.text()
            if self.log and text != self.last_logged:
                self.log.write(text + "\n" + "=" * self.screen.cols + "\n")
                self.log.flush()
                self.last_logged = text

    def reap(self, block):
        if self.status is None:
            pid, st = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
        return self.status


def fail(d, msg):
    sys.stderr.write("ptydrive: FAIL: %s\n--- the screen ---\n%s\n"
                     "------------------\n" % (msg, d.screen.text()))
    try:
        os.kill(d.pid, signal.SIGTERM)
    except OSError:
        pass
    sys.exit(1)


def main():
    args = sys.argv[1:]
    rows, cols, timeout, logpath = 24, 80, 60.0, None
    while args and args[0].startswith("--") and args[0] != "--":
        opt = args.pop(0)
        if opt == "--rows":
            rows = int(args.pop(0))
        elif opt == "--cols":
            cols = int(args.pop(0))
        elif opt == "--timeout":
            timeout = float(args.pop(0))
        elif opt == "--log":
            logpath = args.pop(0)
        else:
            sys.exit("ptydrive: unknown option " + opt)
    if len(args) < 3 or args[1] != "--":
        sys.exit(__doc__)
    with open(args[0]) as f:
        steps = [ln.rstrip("\n") for ln in f]
    log = open(logpath, "a") if logpath else None
    d = Driver(args[2:], rows, cols, log)
    open_pty = True
    for ln in steps:
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        # the argument as written: its blanks count
        cmd, _, arg = ln.lstrip().partition(" ")
        sys.stderr.write("ptydrive: %s\n" % ln.strip())
        if cmd == "expect":
            end = time.monotonic() + timeout
            while arg not in d.screen.text():
                if time.monotonic() > end:
                    fail(d, "'%s' not on the screen in %.0f s" % (arg, timeout))
                if not open_pty:
                    fail(d, "'%s' not on the screen, and the program ended"
                         % arg)
                open_pty = d.pump(0.2)
        elif cmd == "absent":
            if arg in d.screen.text():
                fail(d, "'%s' is on the screen" % arg)
        elif cmd == "send":
            keys = arg.encode().decode("unicode_escape").encode("latin-1")
            # Keys one at a time, as typed: an escape sequence split over
            # reads is how a slow line delivers it too, but a lone Esc
            # needs the program's escape delay before the next key.
            os.write(d.fd, keys)
            open_pty = d.pump(0.3)
        elif cmd == "sleep":
            open_pty = d.pump(float(arg))
        elif cmd == "exit":
            end = time.monotonic() + timeout
            while d.reap(False) is None:
                if time.monotonic() > end:
                    fail(d, "still running after %.0f s" % timeout)
                if open_pty:
                    open_pty = d.pump(0.2)
                else:
                    time.sleep(0.1)
            # What it wrote just before it ended may still be unread
            # (reaped between two reads): read the pty to its end.
            if open_pty:
                open_pty = d.pump(1.0)
            if d.status != int(arg):
                fail(d, "exit status %d, not %s" % (d.status, arg))
        else:
            fail(d, "unknown script command '%s'" % cmd)
    # drain, then make sure the child is gone
    if d.reap(False) is None:
        fail(d, "the script ended with the program still running")
    sys.exit(0)


if __name__ == "__main__":
    main()
