"""cutfs from Python: mounts it over a directory, loses power, mounts again.

    disk = PowerCutDisk(CUTFS_BINARY, workdir)
    disk.mount()            # disk.path is the mounted directory
    ...                     # write through disk.path
    stats = disk.cut()      # or disk.cut(torn=True): what was pending, dropped
    disk.mount()            # the same files, as a power cut left them
    disk.cut_and_mount(torn, figures)  # both, adding up the cuts' figures

Mounting needs root and /dev/fuse (scripts/test runs as root). cutfs is
started through tests/stack.py: its log is kept when a test fails."""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import stack  # noqa: E402


def sync_dir(path):
    """fsync()s a directory: on cutfs, what makes its namespace changes
    survive a cut."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PowerCutDisk:
    def __init__(self, binary, workdir, seed=1):
        self.binary = os.path.abspath(binary)
        self.backing = os.path.join(workdir, "backing")
        self.path = os.path.join(workdir, "mnt")
        self.stats_file = os.path.join(workdir, "cut.json")
        self.procs = stack.Processes(workdir)
        self.seed = seed
        self.process = None
        os.makedirs(self.backing, exist_ok=True)
        os.makedirs(self.path, exist_ok=True)

    def mount(self):
        """Mounts BACKING at self.path (undoing namespace changes a cut left)."""
        self.seed += 1
        self.process, _ = self.procs.start(
            "cutfs", [self.binary, self.backing, self.path, "-f",
                      "--stats=" + self.stats_file, "--seed=%d" % self.seed],
            ready=lambda: os.path.ismount(self.path), timeout=10)

    def cut(self, torn=False):
        """Loses power: every write no fsync covered is dropped (torn: a
        random sector prefix of each survives). Returns cutfs's figures:
        pending_writes, pending_bytes, dropped_bytes, undone_namespace_ops."""
        if os.path.exists(self.stats_file):
            os.remove(self.stats_file)
        self.process.send_signal(signal.SIGUSR2 if torn else signal.SIGUSR1)
        self.process.wait(timeout=30)
        self.process = None
        subprocess.run(["umount", "-l", self.path], check=True)
        with open(self.stats_file) as f:
            return json.load(f)

    def cut_and_mount(self, torn, figures):
        """cut(torn), then mount() again; adds the cut's figures to
        `figures` (cuts, pending_writes, dropped_bytes, undone_namespace_ops)."""
        stats = self.cut(torn)
        self.mount()
        figures["cuts"] = figures.get("cuts", 0) + 1
        for name in ("pending_writes", "dropped_bytes", "undone_namespace_ops"):
            figures[name] = figures.get(name, 0) + stats[name]

    def unmount(self):
        """A clean unmount (nothing is dropped that a cut would keep)."""
        if self.process is not None:
            subprocess.run(["umount", self.path], check=False)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if os.path.ismount(self.path):
            subprocess.run(["umount", "-l", self.path], check=False)

    def log_tail(self):
        return stack.tail(self.procs.log("cutfs"))
