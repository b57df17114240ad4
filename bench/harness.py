"""What every section measures with: servers on loopback, requests, commands, percentiles.

Standard library only, so that `make test` can run the bench's smoke test without the
bench extra installed. Memory is read from /proc and wait4(): the bench runs on Linux.
"""

import contextlib
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import namedtuple
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
TIMEOUT = 900  # seconds: a full export of a million rows is one long request

Finished = namedtuple("Finished", "seconds peak_rss_mib output")
Page = namedtuple("Page", "status headers text")


def production_env(environ, folder, static_root):
    """The environment `make serve` asks for (DEBUG off, a secret of its own, the hosts it
    answers), so the figures are those of the settings users deploy.

    The servers and every command share one secret: sessions are signed with it. The
    uploads the admin holds between preview and confirm stay in the bench's folder; the
    static files are collected to ``static_root`` (production serves them through a
    manifest).
    """
    env = {name: value for name, value in environ.items() if name != "DATABASE_URL"}
    return env | {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(static_root),
        "VAR_DIR": str(folder),
    }


def manage(*args, env, stderr=None):
    """Run a manage.py command: its seconds, its peak resident memory and its output.

    wait4() hands back the finished process's own high-water mark (ru_maxrss, KiB on
    Linux), which sampling at intervals could miss. stdout goes to a file, not a pipe, so a
    talkative command cannot block on a full pipe while it is waited for.
    """
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, stdout=output, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read().decode(errors="replace")
    if process.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} exited {process.returncode}:\n{text}")
    return Finished(seconds, usage.ru_maxrss / 1024, text)


def last_line(finished):
    """The last line a command printed (Django's shell may print warnings first)."""
    return finished.output.strip().splitlines()[-1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A process serving HTTP on loopback, its output kept in ``log`` for when it fails."""

    def __init__(self, command, env, port, log):
        self.port = port
        self.log = log
        with open(log, "ab") as handle:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120  # a busy machine imports Django slowly
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited at start:\n{self.log_tail()}")
            try:
                self.client().open("GET", "/").read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{command[0]} did not answer on port {port}") from None
                time.sleep(0.1)

    def client(self, cookies=None):
        return Client(self.port, cookies)

    def log_tail(self, lines=30):
        return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-lines:])

    def peak_rss_mib(self):
        """The largest VmHWM (peak resident memory) of the server and its workers."""
        peak = 0
        for pid in [self.process.pid, *descendants(self.process.pid)]:
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]) / 1024)
            except FileNotFoundError:
                continue  # a worker that ended meanwhile
        return peak

    def stop(self):
        """Ask the server to finish (gunicorn lets the requests under way end), then make
        it: under load a queue of slow requests may outlast the patience of a benchmark."""
        workers = descendants(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait()


def descendants(pid):
    """The ids of a process's children, their children, and so on, read from /proc."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields follow the last ")"
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


class Client:
    """Requests to a server on loopback, made as the TLS proxy `make serve` sits behind
    makes them: each says it came over HTTPS (X-Forwarded-Proto, which production settings
    trust), so the site neither redirects it nor refuses its forms' Referer, and the
    cookies the site sets, Secure ones included, go back with the next request."""

    def __init__(self, port, cookies=None):
        self.port = port
        self.cookies = dict(cookies or {})

    def open(self, method, path, body=None, headers=None):
        """The response, unread: the caller streams it."""
        headers = {"X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path):
        response = self.open("GET", path)
        return Page(response.status, response.headers, response.read().decode())

    def post(self, path, fields, files=None, follow=False):
        """POST a form (multipart when it carries ``files``: {name: (filename, bytes)})."""
        if files:
            body, content_type = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        response = self.open("POST", path, body, {"Content-Type": content_type})
        page = Page(response.status, response.headers, response.read().decode())
        while follow and page.status in (301, 302, 303):
            page = self.get(local_path(page.headers["Location"]))
        return page


def local_path(url):
    """The path and query of a URL a redirect names, absolute or not."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def multipart(fields, files):
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (filename, content) in files.items():
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def stream(client, path, count_lines=False):
    """(seconds to the first byte, seconds in all, bytes, lines, response) of one GET whose
    body is read as it arrives, a megabyte at a time."""
    started = time.perf_counter()
    response = client.open("GET", path)
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    while block := response.read(1 << 20):
        size += len(block)
        lines += block.count(b"\n") if count_lines else 0
    return first_byte, time.perf_counter() - started, size, lines, response


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_gets(client, path, count):
    """p50 and p95 of ``count`` GETs of a page, after one unmeasured GET to warm it."""
    client.get(path)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        page = client.get(path)
        times.append(time.perf_counter() - started)
        if page.status != 200:
            raise RuntimeError(f"{path}: HTTP {page.status}")
    return {"p50_ms": statistics.median(times) * 1000, "p95_ms": percentile(times, 0.95) * 1000}


def median_of(figures, key):
    return statistics.median(figure[key] for figure in figures)
