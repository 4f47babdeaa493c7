"""Real processes for the Python end-to-end tests: servers, gateways and
nginx started on loopback ports they pick, with their logs, and a small
REST client."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Started processes, each with its log; stopped with SIGTERM."""

    def __init__(self, tmp):
        self.tmp, self.running = tmp, []

    def start(self, name, argv, port_file=None):
        """Starts argv; with a port file, waits for it: (Popen, port or None)."""
        log = os.path.join(self.tmp, name + ".log")
        with open(log, "w") as out:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        p.name, p.log = name, log
        self.running.append(p)
        if port_file:
            deadline = time.time() + 30
            while not os.path.exists(port_file):
                if p.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"{name} did not start:\n{self.tail(p)}")
                time.sleep(0.02)
            with open(port_file) as f:
                return p, int(f.read().strip())
        return p, None

    def server_and_gateway(self, name, server, gateway, *flags):
        """An lmdbapi server (data under tmp/name) and its gateway: (gRPC port, REST port)."""
        pf = os.path.join(self.tmp, name + ".port")
        _, grpc_port = self.start(name, [
            server, "--listen=127.0.0.1:0", "--port_file=" + pf,
            "--data_dir=" + os.path.join(self.tmp, name), "--log_level=warning"] + list(flags), pf)
        gpf = os.path.join(self.tmp, name + "-gw.port")
        _, rest_port = self.start(name + "-gateway", [
            gateway, f"-backend=127.0.0.1:{grpc_port}", "-listen=127.0.0.1:0",
            "-port_file=" + gpf], gpf)
        return grpc_port, rest_port

    @staticmethod
    def tail(p):
        with open(p.log) as f:
            return f.read()[-3000:]

    def stop_all_cleanly(self):
        """stop_all(); AssertionError with the logs of any that did not exit 0."""
        codes = self.stop_all()
        bad = [p for p in self.running if codes.get(p.name) != 0]
        if bad:
            raise AssertionError("did not stop cleanly: " + "; ".join(
                f"{p.name} ({codes.get(p.name)}): {self.tail(p)}" for p in bad))

    def stop_all(self):
        """SIGTERM to each, newest first: {name: exit status}."""
        codes = {}
        for p in reversed(self.running):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                codes[p.name] = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[p.name] = "killed"
        return codes


def wait_http(port, path="/healthz"):
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def rest(port, method, path, body=None, key=None, headers=None, with_headers=False):
    """(HTTP status, decoded JSON[, response headers]) of one call."""
    sent = {"Content-Type": "application/json"}
    if key is not None:
        sent["x-shard-key"] = key
    sent.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            out = (r.status, json.loads(r.read() or b"{}"), r.headers)
    except urllib.error.HTTPError as e:
        out = (e.code, json.loads(e.read() or b"{}"), e.headers)
    return out if with_headers else out[:2]
