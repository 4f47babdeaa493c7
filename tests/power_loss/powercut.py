"""cutfs from Python: mounts it over a directory, loses power, mounts again.

    disk = PowerCutDisk(CUTFS_BINARY, workdir)
    disk.mount()            # disk.path is the mounted directory
    ...                     # write through disk.path
    stats = disk.cut()      # or disk.cut(torn=True): what was pending, dropped
    disk.mount()            # the same files, as a power cut left them

Mounting needs root and /dev/fuse (scripts/test runs as root)."""
import json
import os
import signal
import subprocess
import time


class PowerCutDisk:
    def __init__(self, binary, workdir, seed=1):
        self.binary = os.path.abspath(binary)
        self.backing = os.path.join(workdir, "backing")
        self.path = os.path.join(workdir, "mnt")
        self.stats_file = os.path.join(workdir, "cut.json")
        self.log = os.path.join(workdir, "cutfs.log")
        self.seed = seed
        self.process = None
        os.makedirs(self.backing, exist_ok=True)
        os.makedirs(self.path, exist_ok=True)

    def mount(self):
        """Mounts BACKING at self.path (undoing namespace changes a cut left)."""
        self.seed += 1
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [self.binary, self.backing, self.path, "-f",
                 "--stats=" + self.stats_file, "--seed=%d" % self.seed],
                stdout=log, stderr=log)
        deadline = time.time() + 10
        while not os.path.ismount(self.path):
            if self.process.poll() is not None or time.time() > deadline:
                raise AssertionError("cutfs did not mount:\n" + self.log_tail())
            time.sleep(0.01)

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
        with open(self.log) as f:
            return f.read()[-3000:]
