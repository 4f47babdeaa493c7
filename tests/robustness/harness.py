"""The real server under test, for the robustness and power-loss tests: a thin
layer over tests/stack.py's Server (one server on one data directory,
restarted as often as a test needs) with the permits stubs, in a temporary
directory of its own."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import stack  # noqa: E402


def without_server_fields(permit):
    """The record as a client wrote it: without the revision and times the
    server keeps (proto/examples/permits.proto marks them)."""
    if permit is not None:
        for field in ("revision", "create_time", "update_time"):
            permit.ClearField(field)
    return permit


class Harness(stack.Server):
    def __init__(self, server_binary, generated_root):
        self.tmp = tempfile.TemporaryDirectory()
        super().__init__(stack.Processes(self.tmp.name), server_binary,
                         os.path.join(self.tmp.name, "data"))
        self.stubs_dir = os.path.join(self.tmp.name, "stubs")
        self.messages, self.service, self.stubs = stack.load_stubs(generated_root, self.stubs_dir)

    @property
    def server(self):
        return self.process

    def start(self, *flags):
        """Starts the server on the data directory; returns a PermitsStub."""
        return self.stubs.PermitsStub(super().start(*flags))

    def transactions(self):
        """A TransactionsStub on the running server."""
        return self.stubs.TransactionsStub(self.channel)

    def admin(self):
        """(admin_pb2, AdminStub on the running server): lmdbapi.admin.v1."""
        admin, admin_grpc = stack.load_admin(self.stubs_dir)
        return admin, admin_grpc.AdminStub(self.channel)

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

    def close_server(self):
        super().close()

    def close(self):
        self.close_server()
        self.tmp.cleanup()
