"""Real processes for the Python tests, and what those tests share.

Every Python test under tests/ (e2e, robustness, power_loss, deploy,
adoption) imports this one module, with `ROOT/tests` on sys.path, to start
what it tests: lmdbapi servers, the fan-out router (a server with --shards),
gateways, nginx and cutfs (any other program through Processes.start). It
follows the conventions of tests/README.md, which the C++
(tests/e2e/server_process.h) and Go (tests/e2e/gateway/process_test.go)
helpers follow too:

- ports: chosen by the process. A server or gateway listens on
  127.0.0.1:0 and writes the port it bound to --port_file (atomically, with
  a newline); that file appearing is the process being ready. nginx cannot
  report a port, so for it (only) the test picks free_port()s and writes
  them into its configuration; it is ready when its /healthz answers.
- logs: each process's stdout and stderr go to one log per name, in one log
  directory per test run (restarts under the same name append to it).
  main() runs the tests; when one fails (or the run ends without main()
  saying it passed), it prints the tail of every log and keeps the
  directory; when all pass, it removes it.
- stopping: SIGTERM, then up to 30 s for the exit status (0: clean), then
  SIGKILL.

This module is the only place the Python tests start processes; it is also
where they get the permits stubs (load_stubs, compiled from the emitted
service .proto; scripts/example_client.py, an example for users, keeps its
own copy) and the admin stubs (load_admin). tests/robustness/harness.py is a
thin layer over Server, for the robustness and power-loss tests.

    procs = stack.Processes(tmp)        # tmp: port files, data directories
    grpc_port, rest_port = procs.server_and_gateway("server", SERVER, GATEWAY)
    ...
    procs.stop_all_cleanly()            # AssertionError unless each exits 0

    if __name__ == "__main__":
        stack.main()                    # unittest.main(), logs on failure
"""
import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOGLEAPIS = ("/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/"
              "third_party/googleapis")
TAIL = 3000  # characters of a log shown in a failure


# Stubs.

def load_stubs(generated_root, out_dir):
    """Generates and imports the permits messages and service stubs:
    (permits_pb2, permits_service_pb2, permits_service_pb2_grpc).
    generated_root holds proto/examples/permits_service.proto (the CMake
    build directory; "." under Bazel)."""
    protos = ["proto/examples/permits.proto", "proto/lmdbapi/options.proto"]
    args = ["-I" + ROOT, "-I" + os.path.abspath(generated_root), "-I" + GOOGLEAPIS,
            "-I/usr/include", "--python_out=" + out_dir, "--grpc_python_out=" + out_dir]
    from grpc_tools import protoc
    os.makedirs(out_dir, exist_ok=True)
    for proto in protos + ["google/api/annotations.proto", "google/api/http.proto"]:
        if protoc.main(["protoc"] + args + [proto]) != 0:
            raise RuntimeError("protoc failed on " + proto)
    if protoc.main(["protoc"] + args + ["proto/examples/permits_service.proto"]) != 0:
        raise RuntimeError("protoc failed on the service proto")
    sys.path.insert(0, out_dir)
    import proto.examples.permits_pb2 as messages  # noqa: E402
    import proto.examples.permits_service_pb2 as service  # noqa: E402
    import proto.examples.permits_service_pb2_grpc as stubs  # noqa: E402
    return messages, service, stubs


def load_rpc_status(out_dir):
    """Generates and imports the error details the server sends:
    (status_pb2, error_details_pb2, error_info_pb2) with google.rpc.Status,
    BadRequest (googleapis) and ErrorInfo (proto/lmdbapi/error_info.proto)."""
    from grpc_tools import protoc
    os.makedirs(out_dir, exist_ok=True)
    args = ["protoc", "-I" + ROOT, "-I" + GOOGLEAPIS, "-I/usr/include", "--python_out=" + out_dir]
    for proto in ["google/rpc/status.proto", "google/rpc/error_details.proto",
                  "proto/lmdbapi/error_info.proto"]:
        if protoc.main(args + [proto]) != 0:
            raise RuntimeError("protoc failed on " + proto)
    if out_dir not in sys.path:
        sys.path.insert(0, out_dir)
    import google.rpc.status_pb2 as status  # noqa: E402
    import google.rpc.error_details_pb2 as details  # noqa: E402
    import proto.lmdbapi.error_info_pb2 as error_info  # noqa: E402
    return status, details, error_info


def load_admin(out_dir):
    """Generates and imports lmdbapi.admin.v1: (admin_pb2, admin_pb2_grpc)."""
    from grpc_tools import protoc
    os.makedirs(out_dir, exist_ok=True)
    if protoc.main(["protoc", "-I" + ROOT, "--python_out=" + out_dir,
                    "--grpc_python_out=" + out_dir, "proto/lmdbapi/admin.proto"]) != 0:
        raise RuntimeError("protoc failed on proto/lmdbapi/admin.proto")
    if out_dir not in sys.path:
        sys.path.insert(0, out_dir)
    import proto.lmdbapi.admin_pb2 as admin  # noqa: E402
    import proto.lmdbapi.admin_pb2_grpc as admin_grpc  # noqa: E402
    return admin, admin_grpc


# The run's logs.

class _Logs:
    """One directory per test run: $LMDBAPI_TEST_ARTIFACTS (CTest) or
    $TEST_UNDECLARED_OUTPUTS_DIR (Bazel) if set, else the system's temporary
    directory, holds it. Kept (and the logs' tails printed) unless the run
    passed; LMDBAPI_KEEP_LOGS=1 keeps it anyway."""

    def __init__(self):
        self.dir, self.paths, self.done = None, [], False

    def path(self, name):
        """A new log file for `name` in the run's directory."""
        if self.dir is None:
            parent = (os.environ.get("LMDBAPI_TEST_ARTIFACTS")
                      or os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or None)
            if parent:
                os.makedirs(parent, exist_ok=True)
            test = os.path.splitext(os.path.basename(sys.argv[0] or "python"))[0]
            self.dir = tempfile.mkdtemp(prefix=test + "-logs-", dir=parent)
            atexit.register(self.finish, False)
        path, n = os.path.join(self.dir, name + ".log"), 1
        while path in self.paths or os.path.exists(path):
            n += 1
            path = os.path.join(self.dir, "%s-%d.log" % (name, n))
        self.paths.append(path)
        return path

    def finish(self, passed):
        if self.done or self.dir is None:
            return
        self.done = True
        if passed and os.environ.get("LMDBAPI_KEEP_LOGS", "") in ("", "0"):
            shutil.rmtree(self.dir, ignore_errors=True)
            return
        if not passed:
            for path in self.paths:
                print("---- %s (last %d characters)" % (os.path.basename(path), TAIL),
                      file=sys.stderr)
                print(tail(path), file=sys.stderr)
        print("---- process logs kept in " + self.dir, file=sys.stderr)


LOGS = _Logs()


def tail(path, size=TAIL):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-size:]
    except OSError as e:
        return str(e)


def not_ready_report(process, port):
    """Why a server that wrote its port does not answer: whether it runs and
    its port accepts connections, each thread's state and kernel wait
    (/proc), and their stacks (gdb, when installed)."""
    if process.poll() is not None:
        return "it exited with status %s" % process.returncode
    lines = []
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        lines.append("its port accepts connections")
    except OSError as e:
        lines.append("its port does not accept connections (%s)" % e)
    task_dir = "/proc/%d/task" % process.pid
    try:
        tids = sorted(os.listdir(task_dir), key=int)
    except OSError as e:  # it exited meanwhile
        tids = []
        lines.append(str(e))
    for tid in tids:
        comm, stat, wchan = (tail(os.path.join(task_dir, tid, f), 1000).strip()
                             for f in ("comm", "stat", "wchan"))
        state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
        lines.append("thread %s %s: state %s, waiting in %s" % (tid, comm, state, wchan or "-"))
    gdb = shutil.which("gdb")
    if gdb:
        try:
            stacks = subprocess.run(
                [gdb, "-p", str(process.pid), "-batch", "-ex", "thread apply all bt 12"],
                capture_output=True, text=True, timeout=120).stdout
            lines.append(stacks[-4 * TAIL:])
        except subprocess.TimeoutExpired:
            lines.append("gdb did not attach within 120 s")
    return "\n".join(lines)


def ready_channel(process, port, credentials=None, timeout=10):
    """A gRPC channel to the server `process` just started on `port`, once
    it is ready; AssertionError with not_ready_report after `timeout` s.

    The channel has a connection of its own (a local subchannel pool): gRPC
    shares one connection among the channels to one address, so a channel to
    a port that a killed server had used before would wait out the reconnect
    backoff of the old channel's connection (8 s, measured, after 20 s of
    that server down)."""
    import grpc
    target, options = "127.0.0.1:%d" % port, [("grpc.use_local_subchannel_pool", 1)]
    channel = (grpc.secure_channel(target, credentials, options) if credentials
               else grpc.insecure_channel(target, options))
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise AssertionError("the server on port %d is not ready within %d s: %s"
                             % (port, timeout, not_ready_report(process, port))) from None
    return channel


def main(**kwargs):
    """unittest.main(**kwargs), then the run's logs: removed if every test
    passed, else their tails printed and the directory kept."""
    program = unittest.main(exit=False, **kwargs)
    passed = program.result.wasSuccessful()
    LOGS.finish(passed)
    sys.exit(0 if passed else 1)


# Processes.

_HANDED_OUT = set()  # the ports free_port returned in this process


def _ephemeral_ports():
    """The kernel's range for the source ports of outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(n) for n in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A loopback port nothing listens on now (for nginx, which cannot report
    the port it bound; for a backend that starts later, or never; and for
    replicas, which must know each other's ports before they start).

    Chosen below the kernel's ephemeral range: a port from that range stays
    free only until some connection's source port takes it, and a replica
    restarted on its port then fails to listen (seen in CI: a raft port taken
    between a stop and a restart). Never the same port twice in one process:
    a test that picks several ports before starting anything must not give
    two servers one port."""
    low, _ = _ephemeral_ports()
    first = 10000 if low > 12000 else 1024
    while True:
        port = random.randrange(first, low)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port


def read_file(path):
    """The bytes of the file at path."""
    with open(path, "rb") as f:
        return f.read()


class Certificates:
    """A directory of PEM files made with the openssl CLI: CAs, and leaf
    certificates (for 127.0.0.1 and localhost) each signed by one of them."""

    def __init__(self, directory):
        self.dir = directory

    def path(self, name):
        return os.path.join(self.dir, name)

    def openssl(self, *args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True)

    def ca(self, name):
        """name.crt, name.key: a self-signed CA."""
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-nodes", "-keyout", self.path(name + ".key"), "-out", self.path(name + ".crt"),
                     "-days", "1", "-subj", "/CN=" + name,
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return self.path(name + ".crt")

    def leaf(self, name, ca, cn, serial, names="IP:127.0.0.1,DNS:localhost"):
        """name.crt, name.key: a certificate for `names` (subjectAltName;
        default 127.0.0.1 and localhost), server and client use, subject
        CN=cn, signed by the CA `ca`: (cert, key)."""
        cert, key, csr = (self.path(name + ext) for ext in (".crt", ".key", ".csr"))
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\n" % names)
            f.write("extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n")
        self.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
        self.openssl("x509", "-req", "-in", csr, "-CA", self.path(ca + ".crt"),
                     "-CAkey", self.path(ca + ".key"), "-set_serial", str(serial),
                     "-days", "1", "-extfile", ext, "-out", cert)
        return cert, key

    def rotate(self, name, ca, cn, serial, cert_path, key_path):
        """A new certificate over cert_path and key_path, each replaced
        atomically (key first), as a rotation does."""
        cert, key = self.leaf(name, ca, cn, serial)
        os.replace(key, key_path)
        os.replace(cert, cert_path)


class Processes:
    """Started processes, each with its log; stopped with SIGTERM.

    Each start returns a subprocess.Popen with .name, .log (its log file) and
    .port (the port it reported, or None)."""

    def __init__(self, tmp):
        self.tmp, self.running, self.logs = tmp, [], {}

    def log(self, name):
        """The log file of `name` (the same one each time it is started)."""
        if name not in self.logs:
            self.logs[name] = LOGS.path(name)
        return self.logs[name]

    def start(self, name, argv, port_flag=None, ready=None, timeout=30, **popen):
        """Starts argv, its output appended to log(name), and waits until it
        is ready: with port_flag ("--port_file"), argv gets
        port_flag=<tmp>/<name>.port and the port the process writes there is
        returned; with ready, until ready() is true. (Popen, port or None);
        AssertionError with the log if it exits first or is not ready within
        `timeout` seconds. popen: more subprocess.Popen arguments (env,
        preexec_fn, ...)."""
        argv = list(argv)
        port_file = None
        if port_flag:
            port_file = os.path.join(self.tmp, name + ".port")
            if os.path.exists(port_file):
                os.remove(port_file)
            argv.append(port_flag + "=" + port_file)
        log = self.log(name)
        with open(log, "a") as out:
            out.write("==== %s\n" % " ".join(argv))
            out.flush()
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, **popen)
        p.name, p.log, p.port = name, log, None
        self.running.append(p)
        deadline = time.time() + timeout
        while True:
            if port_file and os.path.exists(port_file):
                with open(port_file) as f:
                    p.port = int(f.read().strip())
                break
            if not port_file and (ready is None or ready()):
                break
            if p.poll() is not None or time.time() > deadline:
                self.stop(p, timeout=5)
                raise AssertionError("%s did not start (exit status %s):\n%s"
                                     % (name, p.returncode, self.tail(p)))
            time.sleep(0.02)
        return p, p.port

    def server(self, name, binary, *flags, data_dir=None):
        """An lmdbapi server on data_dir (default <tmp>/<name>), logging
        warnings: (Popen, gRPC port)."""
        data_dir = data_dir or os.path.join(self.tmp, name)
        return self.start(name, [binary, "--listen=127.0.0.1:0", "--data_dir=" + data_dir,
                                 "--log_level=warning"] + list(flags), "--port_file")

    def router(self, name, binary, shard_ports, *flags):
        """The fan-out router (the server binary with --shards) over the
        servers on shard_ports: (Popen, gRPC port)."""
        shards = ",".join("127.0.0.1:%d" % port for port in shard_ports)
        return self.start(name, [binary, "--listen=127.0.0.1:0", "--shards=" + shards,
                                 "--log_level=warning"] + list(flags), "--port_file")

    def gateway(self, name, binary, backend_port, *flags):
        """A gateway in front of the gRPC server on backend_port:
        (Popen, HTTP port)."""
        return self.start(name, [binary, "-backend=127.0.0.1:%d" % backend_port,
                                 "-listen=127.0.0.1:0"] + list(flags), "-port_file")

    def server_and_gateway(self, name, server, gateway, *flags):
        """An lmdbapi server (data under tmp/name, `flags`) and its gateway:
        (gRPC port, REST port)."""
        _, grpc_port = self.server(name, server, *flags)
        _, rest_port = self.gateway(name + "-gateway", gateway, grpc_port)
        return grpc_port, rest_port

    def nginx(self, name, conf, prefix, health_port, binary=None):
        """nginx on `conf` (prefix: -p), in the foreground, its errors in its
        log; checked with -t first. Ready when GET /healthz on health_port
        answers. Returns the Popen."""
        binary = binary or shutil.which("nginx") or "/usr/sbin/nginx"
        checked = subprocess.run([binary, "-t", "-q", "-e", "stderr", "-p", prefix, "-c", conf],
                                 capture_output=True, text=True)
        if checked.returncode != 0:
            raise AssertionError("nginx -t %s:\n%s" % (conf, checked.stdout + checked.stderr))

        def healthy():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % health_port,
                                            timeout=2):
                    return True
            except (urllib.error.URLError, ConnectionError):
                return False
        p, _ = self.start(name, [binary, "-e", "stderr", "-p", prefix, "-c", conf,
                                 "-g", "daemon off;"], ready=healthy)
        return p

    def tail(self, p):
        return tail(p.log)

    def stop(self, p, timeout=30):
        """SIGTERM (if running), then its exit status; SIGKILL and "killed"
        if it has not exited within `timeout` seconds."""
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return "killed"

    @staticmethod
    def kill(p):
        """SIGKILL, then waits."""
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait()

    def stop_all(self):
        """stop() each, newest first: {name: exit status of the newest of
        that name}."""
        codes = {}
        for p in reversed(self.running):
            code = self.stop(p)
            codes.setdefault(p.name, code)
        return codes

    def stop_all_cleanly(self):
        """stop_all(); AssertionError with the logs of any that did not exit 0."""
        codes = self.stop_all()
        bad = [name for name, code in codes.items() if code != 0]
        if bad:
            raise AssertionError("did not stop cleanly: " + "; ".join(
                f"{name} ({codes[name]}): {tail(self.logs[name])}" for name in bad))


class PermitsStack:
    """The example schema's server and gateway on loopback for one test class
    (its setUpClass calls start, its tearDownClass stop): sets on the class
    tmpdir, procs, data (the server's directory), m and s (the messages and
    the service's request messages), stubs, channel, permits, statuses,
    rest_port."""

    @staticmethod
    def start(cls, generated_root, server, gateway, *flags):
        import grpc
        cls.tmpdir = tempfile.TemporaryDirectory()
        tmp = cls.tmpdir.name
        cls.procs = Processes(tmp)
        cls.data = os.path.join(tmp, "server")
        os.makedirs(os.path.join(tmp, "stubs"))
        cls.m, cls.s, cls.stubs = load_stubs(generated_root, os.path.join(tmp, "stubs"))
        try:
            grpc_port, cls.rest_port = cls.procs.server_and_gateway("server", server, gateway, *flags)
        except BaseException:
            cls.procs.stop_all()
            cls.tmpdir.cleanup()
            raise
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        cls.permits = cls.stubs.PermitsStub(cls.channel)
        cls.statuses = cls.stubs.ProcessingStatusesStub(cls.channel)

    @staticmethod
    def stop(cls):
        cls.channel.close()
        try:
            cls.procs.stop_all_cleanly()
        finally:
            cls.tmpdir.cleanup()


class Server:
    """One server binary on one data directory, started, stopped and killed
    as often as a test needs (each start on a port of its choosing, its
    output appended to one log): the robustness and power-loss tests."""

    def __init__(self, procs, binary, data, name="server"):
        self.procs, self.binary, self.data, self.name = procs, os.path.abspath(binary), data, name
        self.process = self.channel = None

    @property
    def log(self):
        return self.procs.log(self.name)

    def start(self, *flags):
        """Starts the server on self.data; returns a gRPC channel to it, ready.

        The channel is ready_channel's."""
        self.process, port = self.procs.server(self.name, self.binary, *flags,
                                               data_dir=self.data)
        self.port = port
        self.channel = ready_channel(self.process, port)
        return self.channel

    def stop(self):
        """Closes the channel and SIGTERMs the server: its exit status."""
        self.channel.close()
        return self.procs.stop(self.process)

    def kill(self):
        self.procs.kill(self.process)

    def close(self):
        """Kills the server if it runs."""
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def run(self, *flags):
        """Runs the server binary as a command on flags: (exit status, stderr tail)."""
        r = subprocess.run([self.binary] + list(flags), capture_output=True, text=True,
                           timeout=300)
        return r.returncode, r.stderr[-TAIL:]

    def verify(self):
        """`server --verify` on the data directory: (exit status, its log)."""
        return self.run("--data_dir=" + self.data, "--verify")

    def log_tail(self):
        return tail(self.log)


# HTTP.

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
