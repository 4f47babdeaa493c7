"""The real server under test, for the robustness tests: Python stubs from
the emitted service .proto, and the server started on a loopback port it
picks, on one data directory, as many times as a test needs."""
import os
import signal
import subprocess
import sys
import tempfile
import time

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import example_client  # noqa: E402


def without_server_fields(permit):
    """The record as a client wrote it: without the revision and times the
    server keeps (proto/examples/permits.proto marks them)."""
    if permit is not None:
        for field in ("revision", "create_time", "update_time"):
            permit.ClearField(field)
    return permit


class Harness:
    def __init__(self, server_binary, generated_root):
        self.binary = os.path.abspath(server_binary)
        self.tmp = tempfile.TemporaryDirectory()
        stubs_dir = os.path.join(self.tmp.name, "stubs")
        os.makedirs(stubs_dir)
        self.messages, self.service, self.stubs = example_client.load_stubs(
            os.path.abspath(generated_root), stubs_dir)
        self.data = os.path.join(self.tmp.name, "data")
        self.log = os.path.join(self.tmp.name, "server.log")
        self.server = None
        self.channel = None

    def start(self, *flags):
        """Starts the server on the data directory; returns a PermitsStub."""
        port_file = os.path.join(self.tmp.name, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        with open(self.log, "a") as out:
            self.server = subprocess.Popen(
                [self.binary, "--listen=127.0.0.1:0", "--port_file=" + port_file,
                 "--data_dir=" + self.data, "--log_level=warning"] + list(flags),
                stdout=subprocess.DEVNULL, stderr=out)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if self.server.poll() is not None or time.time() > deadline:
                raise AssertionError("the server did not start:\n" + self.log_tail())
            time.sleep(0.01)
        with open(port_file) as f:
            self.channel = grpc.insecure_channel("127.0.0.1:" + f.read().strip())
        grpc.channel_ready_future(self.channel).result(timeout=10)
        return self.stubs.PermitsStub(self.channel)

    def admin(self):
        """(admin_pb2, AdminStub on the running server): lmdbapi.admin.v1."""
        from grpc_tools import protoc
        out = os.path.join(self.tmp.name, "stubs")
        if protoc.main(["protoc", "-I" + ROOT, "--python_out=" + out, "--grpc_python_out=" + out,
                        "proto/lmdbapi/admin.proto"]) != 0:
            raise RuntimeError("protoc failed on proto/lmdbapi/admin.proto")
        import proto.lmdbapi.admin_pb2 as admin  # noqa: E402
        import proto.lmdbapi.admin_pb2_grpc as admin_grpc  # noqa: E402
        return admin, admin_grpc.AdminStub(self.channel)

    def run(self, *flags):
        """Runs the server binary as a command on flags: (exit status, stderr)."""
        r = subprocess.run([self.binary] + list(flags), capture_output=True, text=True, timeout=300)
        return r.returncode, r.stderr[-3000:]

    def kill(self):
        self.server.send_signal(signal.SIGKILL)
        self.server.wait()

    def stop(self):
        """SIGTERM; returns the exit status."""
        self.channel.close()
        self.server.send_signal(signal.SIGTERM)
        return self.server.wait(timeout=30)

    def verify(self):
        """Runs `server --verify` on the data directory: (exit status, log)."""
        return self.run("--data_dir=" + self.data, "--verify")

    def page_all(self, permits, as_written=False):
        """Every stored permit, by Paginate: {uuid: Permit}; as_written drops
        the server-kept fields."""
        stored, token = {}, ""
        while True:
            page = permits.Paginate(self.service.PaginatePermitsRequest(page_size=1000, page_token=token))
            for p in page.permits:
                stored[p.uuid] = without_server_fields(p) if as_written else p
            token = page.next_page_token
            if not token:
                return stored

    def log_tail(self):
        with open(self.log) as f:
            return f.read()[-3000:]

    def close_server(self):
        if self.server and self.server.poll() is None:
            self.server.kill()
            self.server.wait()

    def close(self):
        self.close_server()
        self.tmp.cleanup()
