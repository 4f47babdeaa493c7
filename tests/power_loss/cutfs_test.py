#!/usr/bin/python3
"""cutfs keeps what was synced and loses what was not.

Usage: cutfs_test.py CUTFS_BINARY   (root, /dev/fuse)
"""
import mmap
import os
import random
import sys
import tempfile
import unittest

from powercut import PowerCutDisk, sync_dir
import stack  # noqa: E402  (on the path powercut.py sets)

CUTFS = sys.argv[1]
del sys.argv[1]


def write_file(path, data, sync=False, flags=0):
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | flags, 0o644)
    try:
        os.write(fd, data)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


class CutFsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.disk = PowerCutDisk(CUTFS, self.tmp.name)
        self.disk.mount()
        self.root = self.disk.path

    def tearDown(self):
        self.disk.unmount()
        self.tmp.cleanup()

    def at(self, name):
        return os.path.join(self.root, name)

    def power_cut(self, torn=False):
        stats = self.disk.cut(torn)
        self.disk.mount()
        return stats

    def test_a_write_without_fsync_vanishes(self):
        write_file(self.at("f"), b"durable", sync=True)
        sync_dir(self.root)
        with open(self.at("f"), "ab") as f:
            f.write(b" and lost")
        self.assertEqual(read_file(self.at("f")), b"durable and lost")
        stats = self.power_cut()
        self.assertEqual(read_file(self.at("f")), b"durable")
        self.assertEqual(stats["dropped_bytes"], len(b" and lost"))

    def test_a_write_with_fsync_stays(self):
        write_file(self.at("f"), b"kept", sync=True)
        sync_dir(self.root)
        self.power_cut()
        self.assertEqual(read_file(self.at("f")), b"kept")

    def test_fdatasync_and_an_o_dsync_handle_make_writes_durable(self):
        write_file(self.at("a"), b"", sync=True)
        write_file(self.at("b"), b"", sync=True)
        sync_dir(self.root)
        fd = os.open(self.at("a"), os.O_WRONLY)
        os.write(fd, b"datasynced")
        os.fdatasync(fd)
        os.close(fd)
        write_file(self.at("b"), b"dsync", flags=os.O_DSYNC)
        self.power_cut()
        self.assertEqual(read_file(self.at("a")), b"datasynced")
        self.assertEqual(read_file(self.at("b")), b"dsync")

    def test_a_created_file_without_a_directory_sync_vanishes(self):
        write_file(self.at("new"), b"synced data", sync=True)
        self.power_cut()
        self.assertFalse(os.path.exists(self.at("new")))

    def test_a_rename_without_a_directory_sync_may_be_undone(self):
        write_file(self.at("old"), b"old", sync=True)
        write_file(self.at("tmp"), b"new", sync=True)
        sync_dir(self.root)
        os.rename(self.at("tmp"), self.at("old"))
        self.assertEqual(read_file(self.at("old")), b"new")
        stats = self.power_cut()
        self.assertEqual(stats["undone_namespace_ops"], 1)
        self.assertEqual(read_file(self.at("old")), b"old")
        self.assertEqual(read_file(self.at("tmp")), b"new")

    def test_a_rename_followed_by_a_directory_sync_stays(self):
        write_file(self.at("old"), b"old", sync=True)
        write_file(self.at("tmp"), b"new", sync=True)
        sync_dir(self.root)
        os.rename(self.at("tmp"), self.at("old"))
        sync_dir(self.root)
        self.power_cut()
        self.assertEqual(sorted(os.listdir(self.root)), ["old"])
        self.assertEqual(read_file(self.at("old")), b"new")

    def test_an_unlink_and_a_mkdir_without_a_directory_sync_are_undone(self):
        write_file(self.at("gone"), b"still here", sync=True)
        sync_dir(self.root)
        os.unlink(self.at("gone"))
        os.mkdir(self.at("dir"))
        write_file(os.path.join(self.at("dir"), "inner"), b"x", sync=True)
        sync_dir(self.at("dir"))  # the file's entry, not the directory's own
        self.power_cut()
        self.assertEqual(sorted(os.listdir(self.root)), ["gone"])
        self.assertEqual(read_file(self.at("gone")), b"still here")

    def test_a_torn_cut_keeps_a_whole_sector_prefix_of_each_pending_write(self):
        write_file(self.at("f"), b"\0" * 8192, sync=True)
        sync_dir(self.root)
        fd = os.open(self.at("f"), os.O_WRONLY)
        os.pwrite(fd, b"A" * 4096, 0)
        os.pwrite(fd, b"B" * 4096, 4096)
        os.close(fd)
        stats = self.power_cut(torn=True)
        data = read_file(self.at("f"))
        self.assertEqual(len(data), 8192)
        for start, letter in ((0, b"A"), (4096, b"B")):
            block = data[start:start + 4096]
            kept = len(block) - len(block.lstrip(letter))
            self.assertEqual(kept % 512, 0, "a torn write keeps whole sectors")
            self.assertEqual(block[kept:], b"\0" * (4096 - kept), "only a prefix survives")
        self.assertEqual(stats["pending_writes"], 2)
        self.assertEqual(stats["pending_bytes"] - stats["dropped_bytes"],
                         sum(len(data[s:s + 4096]) - len(data[s:s + 4096].lstrip(c))
                             for s, c in ((0, b"A"), (4096, b"B"))))

    def test_reads_see_pending_writes_and_truncates_as_a_real_file_does(self):
        rng = random.Random(7)
        model = bytearray()
        fd = os.open(self.at("f"), os.O_CREAT | os.O_RDWR, 0o644)
        synced = bytes()
        for step in range(400):
            roll = rng.random()
            if roll < 0.6:
                off = rng.randrange(0, len(model) + 9000)
                data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6000)))
                os.pwrite(fd, data, off)
                if off > len(model):
                    model.extend(b"\0" * (off - len(model)))
                model[off:off + len(data)] = data
            elif roll < 0.75:
                size = rng.randrange(0, len(model) + 5000)
                os.ftruncate(fd, size)
                model = model[:size] + bytearray(max(0, size - len(model)))
            elif roll < 0.85:
                os.fsync(fd)
                synced = bytes(model)
            off = rng.randrange(0, len(model) + 100)
            self.assertEqual(os.pread(fd, 7000, off), bytes(model[off:off + 7000]), "step %d" % step)
            self.assertEqual(os.fstat(fd).st_size, len(model))
        os.close(fd)
        with open(self.at("f"), "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) if model else None
            if mapped is not None:
                self.assertEqual(mapped[:], bytes(model), "mmap reads see pending writes")
                mapped.close()
        sync_dir(self.root)
        self.power_cut()
        self.assertEqual(read_file(self.at("f")), synced)


if __name__ == "__main__":
    stack.main()
