// cutfs: a FUSE file system that can lose power.
//
//   cutfs BACKING MOUNTPOINT [--stats=FILE] [--seed=N] [FUSE options]
//
// Mounted over a directory, it passes every read and write through to
// BACKING, except that nothing reaches BACKING before it is durable:
//
// - File data written and not yet covered by an fsync/fdatasync of that file
//   (or written through a handle opened with O_SYNC / O_DSYNC) lives only in
//   this process's memory, as dirty pages that reads see.
// - Creating, renaming, unlinking and making or removing a directory is done
//   in BACKING at once, but each is recorded in an undo journal
//   (BACKING/.cutfs/journal) until every directory it changed has been
//   fsync'd. An unlinked or replaced file is kept in BACKING/.cutfs/stash
//   until then.
//
// Losing power is killing this process:
// - SIGKILL (or SIGUSR1, which first writes FILE) drops every dirty page: the
//   "clean" cut;
// - SIGUSR2 is the "torn" cut: for every pending write, in order, a random
//   prefix of it in whole 512-byte sectors (disks guarantee no less) reaches
//   BACKING; the rest is dropped.
// The next mount of BACKING first undoes the journal, newest first, so any
// namespace change no directory sync made durable is gone. The kernel's page
// cache goes with the mount, so nothing that was dropped can be read again.
//
// Every operation takes one mutex: this is test infrastructure, correct
// before fast.
#define FUSE_USE_VERSION 31

#include <dirent.h>
#include <fcntl.h>
#include <fuse.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cutfs {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kSector = 512;
constexpr char kHidden[] = ".cutfs";

// One write or truncate not yet durable, in the order it was made.
struct PendingOp {
  bool truncate = false;
  uint64_t offset = 0;     // or the new size, for a truncate
  std::vector<char> data;  // a write's bytes
};

// The not-yet-durable state of one file (by inode, so renames keep it).
struct FileState {
  int fd = -1;         // BACKING's file, for flushing and torn cuts
  uint64_t size = 0;   // the size readers see
  uint64_t valid = 0;  // bytes of BACKING's file a truncate has not cut off
  std::map<uint64_t, std::vector<char>> pages;  // page index -> kPage bytes
  std::vector<PendingOp> ops;

  bool Dirty() const { return !ops.empty(); }  // always, once it exists
};

// A namespace change, undone on the next mount unless made durable.
struct JournalEntry {
  std::string kind;   // create | mkdir | rmdir | unlink | rename
  std::string path;   // the created/removed path, or a rename's source
  std::string to;     // a rename's target
  std::string stash;  // where a replaced or unlinked file waits, or "-"
  std::vector<std::string> dirs;  // directories whose fsync makes it durable
};

struct Handle {
  int fd;
  ino_t ino;
  bool sync;  // opened with O_SYNC / O_DSYNC: every write is durable
};

class CutFs {
 public:
  CutFs(std::string backing, std::string stats_file, uint64_t seed)
      : backing_(std::move(backing)),
        stats_file_(std::move(stats_file)),
        rng_(seed) {}

  std::string Real(const char* path) const { return backing_ + path; }

  static bool IsHidden(const char* path) {
    return std::strncmp(path + 1, kHidden, sizeof(kHidden) - 1) == 0 &&
           (path[sizeof(kHidden)] == '\0' || path[sizeof(kHidden)] == '/');
  }

  // Undoes what the last mount left in the journal; returns how many entries.
  int Recover();

  std::mutex mu;
  std::unordered_map<ino_t, FileState> files;

  FileState& State(ino_t ino, int fd);
  void Write(FileState& f, const char* buf, size_t size, uint64_t off);
  void Truncate(FileState& f, uint64_t size);
  size_t Read(FileState& f, int fd, char* buf, size_t size, uint64_t off);
  int Flush(ino_t ino);

  void Journal(JournalEntry entry);
  void CommitDir(const std::string& dir);
  std::string NewStash();

  // Loses power: drops (or tears) every pending write, writes the stats
  // file, and ends the process without unmounting.
  [[noreturn]] void Cut(bool torn);

 private:
  void SaveJournal();

  std::string backing_;
  std::string stats_file_;
  std::mt19937_64 rng_;
  std::vector<JournalEntry> journal_;
  uint64_t stash_counter_ = 0;
  uint64_t synced_bytes_ = 0;
};

std::string Parent(const std::string& path) {
  std::string parent = fs::path(path).parent_path().string();
  return parent.empty() ? "/" : parent;
}

FileState& CutFs::State(ino_t ino, int fd) {
  FileState& f = files[ino];
  if (f.fd < 0) {
    f.fd = dup(fd);
    struct stat st;
    fstat(fd, &st);
    f.size = f.valid = st.st_size;
  }
  return f;
}

void CutFs::Write(FileState& f, const char* buf, size_t size, uint64_t off) {
  for (uint64_t done = 0; done < size;) {
    uint64_t at = off + done, index = at / kPage, in_page = at % kPage;
    uint64_t n = std::min<uint64_t>(kPage - in_page, size - done);
    auto [it, fresh] = f.pages.try_emplace(index);
    if (fresh) {
      it->second.assign(kPage, 0);
      uint64_t base = index * kPage;
      if (base < f.valid) {
        uint64_t want = std::min<uint64_t>(kPage, f.valid - base);
        ssize_t got = pread(f.fd, it->second.data(), want, base);
        (void)got;  // a short read leaves zeros, as a hole reads
      }
    }
    std::memcpy(it->second.data() + in_page, buf + done, n);
    done += n;
  }
  f.size = std::max<uint64_t>(f.size, off + size);
  f.ops.push_back(PendingOp{false, off, std::vector<char>(buf, buf + size)});
}

void CutFs::Truncate(FileState& f, uint64_t size) {
  if (size < f.size) {
    f.valid = std::min(f.valid, size);
    f.pages.erase(f.pages.lower_bound((size + kPage - 1) / kPage),
                  f.pages.end());
    auto last = f.pages.find(size / kPage);
    if (last != f.pages.end()) {
      std::fill(last->second.begin() + size % kPage, last->second.end(), 0);
    }
  }
  f.size = size;
  f.ops.push_back(PendingOp{true, size, {}});
}

size_t CutFs::Read(FileState& f, int fd, char* buf, size_t size, uint64_t off) {
  if (off >= f.size) return 0;
  size = std::min<uint64_t>(size, f.size - off);
  for (uint64_t done = 0; done < size;) {
    uint64_t at = off + done, index = at / kPage, in_page = at % kPage;
    uint64_t n = std::min<uint64_t>(kPage - in_page, size - done);
    auto it = f.pages.find(index);
    if (it != f.pages.end()) {
      std::memcpy(buf + done, it->second.data() + in_page, n);
    } else {
      std::memset(buf + done, 0, n);
      if (at < f.valid) {
        ssize_t got =
            pread(fd, buf + done, std::min<uint64_t>(n, f.valid - at), at);
        (void)got;
      }
    }
    done += n;
  }
  return size;
}

// Makes the file's pending state durable in BACKING.
int CutFs::Flush(ino_t ino) {
  auto it = files.find(ino);
  if (it == files.end() || !it->second.Dirty()) return 0;
  FileState& f = it->second;
  struct stat st;
  if (fstat(f.fd, &st) != 0) return -errno;
  if (static_cast<uint64_t>(st.st_size) > f.valid &&
      ftruncate(f.fd, f.valid) != 0) {
    return -errno;
  }
  for (const auto& [index, page] : f.pages) {
    uint64_t base = index * kPage;
    if (base >= f.size) break;
    uint64_t n = std::min<uint64_t>(kPage, f.size - base);
    if (pwrite(f.fd, page.data(), n, base) != static_cast<ssize_t>(n)) {
      return -EIO;
    }
    synced_bytes_ += n;
  }
  if (ftruncate(f.fd, f.size) != 0) return -errno;
  // A clean file keeps no state: its descriptor (which pins the inode, so
  // its number cannot be reused while the state lives) is closed.
  close(f.fd);
  files.erase(it);
  return 0;
}

void CutFs::SaveJournal() {
  std::string path = backing_ + "/" + kHidden + "/journal";
  std::ofstream out(path + ".new", std::ios::trunc);
  for (const JournalEntry& e : journal_) {
    out << e.kind << '\t' << e.path << '\t' << (e.to.empty() ? "-" : e.to)
        << '\t' << (e.stash.empty() ? "-" : e.stash) << '\n';
  }
  out.close();
  fs::rename(path + ".new", path);
}

void CutFs::Journal(JournalEntry entry) {
  journal_.push_back(std::move(entry));
  SaveJournal();
}

void CutFs::CommitDir(const std::string& dir) {
  std::vector<JournalEntry> kept;
  for (JournalEntry& e : journal_) {
    e.dirs.erase(std::remove(e.dirs.begin(), e.dirs.end(), dir), e.dirs.end());
    if (!e.dirs.empty()) {
      kept.push_back(std::move(e));
    } else if (!e.stash.empty()) {
      std::error_code ignored;
      fs::remove_all(backing_ + e.stash, ignored);
    }
  }
  journal_ = std::move(kept);
  SaveJournal();
}

std::string CutFs::NewStash() {
  return std::string("/") + kHidden + "/stash/" + std::to_string(getpid()) +
         "-" + std::to_string(++stash_counter_);
}

int CutFs::Recover() {
  fs::create_directories(backing_ + "/" + kHidden + "/stash");
  std::ifstream in(backing_ + "/" + kHidden + "/journal");
  std::vector<JournalEntry> entries;
  std::string line;
  while (std::getline(in, line)) {
    JournalEntry e;
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos;) {
      parts.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    parts.push_back(line.substr(start));
    if (parts.size() != 4) continue;
    e.kind = parts[0];
    e.path = parts[1];
    e.to = parts[2] == "-" ? "" : parts[2];
    e.stash = parts[3] == "-" ? "" : parts[3];
    entries.push_back(e);
  }
  std::error_code ignored;
  for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
    std::string path = backing_ + e->path;
    if (e->kind == "create") {
      fs::remove(path, ignored);
    } else if (e->kind == "mkdir") {
      fs::remove_all(path, ignored);
    } else if (e->kind == "rmdir") {
      fs::create_directory(path, ignored);
    } else if (e->kind == "unlink") {
      fs::rename(backing_ + e->stash, path, ignored);
    } else if (e->kind == "rename") {
      fs::rename(backing_ + e->to, path, ignored);
      if (!e->stash.empty())
        fs::rename(backing_ + e->stash, backing_ + e->to, ignored);
    }
  }
  fs::remove_all(backing_ + "/" + kHidden + "/stash", ignored);
  fs::create_directories(backing_ + "/" + kHidden + "/stash");
  journal_.clear();
  SaveJournal();
  return static_cast<int>(entries.size());
}

void CutFs::Cut(bool torn) {
  std::lock_guard<std::mutex> lock(mu);
  uint64_t writes = 0, pending_bytes = 0, kept_bytes = 0, dirty_files = 0;
  for (auto& [ino, f] : files) {
    if (!f.Dirty()) continue;
    ++dirty_files;
    for (const PendingOp& op : f.ops) {
      if (op.truncate) {
        if (torn && ftruncate(f.fd, op.offset) != 0) break;
        continue;
      }
      ++writes;
      pending_bytes += op.data.size();
      if (!torn) continue;
      uint64_t sectors = (op.data.size() + kSector - 1) / kSector;
      uint64_t keep = std::min<uint64_t>(
          op.data.size(),
          std::uniform_int_distribution<uint64_t>(0, sectors)(rng_) * kSector);
      if (keep > 0 && pwrite(f.fd, op.data.data(), keep, op.offset) > 0) {
        kept_bytes += keep;
      }
    }
  }
  if (!stats_file_.empty()) {
    std::ofstream out(stats_file_, std::ios::trunc);
    out << "{\"mode\": \"" << (torn ? "torn" : "clean")
        << "\", \"pending_writes\": " << writes
        << ", \"pending_bytes\": " << pending_bytes
        << ", \"dropped_bytes\": " << pending_bytes - kept_bytes
        << ", \"dirty_files\": " << dirty_files
        << ", \"undone_namespace_ops\": " << journal_.size()
        << ", \"synced_bytes\": " << synced_bytes_ << "}\n";
  }
  _exit(0);
}

CutFs* g_fs = nullptr;

Handle* H(fuse_file_info* fi) {
  return fi == nullptr ? nullptr : reinterpret_cast<Handle*>(fi->fh);
}

// --- FUSE operations -------------------------------------------------------

void* Init(fuse_conn_info*, fuse_config* cfg) {
  cfg->use_ino = 1;
  cfg->hard_remove = 1;  // no .fuse_hidden renames: ops on fi after unlink
  cfg->nullpath_ok = 1;
  cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 0;
  return nullptr;
}

int Getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  Handle* h = H(fi);
  if (h == nullptr && (path == nullptr || CutFs::IsHidden(path))) {
    return -ENOENT;
  }
  int rc =
      h != nullptr ? fstat(h->fd, st) : lstat(g_fs->Real(path).c_str(), st);
  if (rc != 0) return -errno;
  auto it = g_fs->files.find(st->st_ino);
  if (S_ISREG(st->st_mode) && it != g_fs->files.end() && it->second.Dirty()) {
    st->st_size = it->second.size;
    st->st_blocks = (st->st_size + 511) / 512;
  }
  return 0;
}

// A directory's handle is its path: with nullpath_ok, directory operations
// get no path of their own.
const std::string& DirPath(fuse_file_info* fi) {
  return *reinterpret_cast<std::string*>(fi->fh);
}

int Opendir(const char* path, fuse_file_info* fi) {
  if (CutFs::IsHidden(path)) return -ENOENT;
  fi->fh = reinterpret_cast<uint64_t>(new std::string(path));
  return 0;
}

int Releasedir(const char*, fuse_file_info* fi) {
  delete reinterpret_cast<std::string*>(fi->fh);
  return 0;
}

int Readdir(const char*, void* buf, fuse_fill_dir_t fill, off_t,
            fuse_file_info* fi, fuse_readdir_flags) {
  const char* path = DirPath(fi).c_str();
  DIR* dir = opendir(g_fs->Real(path).c_str());
  if (dir == nullptr) return -errno;
  bool root = std::strcmp(path, "/") == 0;
  while (dirent* e = readdir(dir)) {
    if (root && std::strcmp(e->d_name, kHidden) == 0) continue;
    fill(buf, e->d_name, nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  }
  closedir(dir);
  return 0;
}

int OpenReal(const char* path, fuse_file_info* fi, int extra, mode_t mode) {
  int fd = open(g_fs->Real(path).c_str(),
                O_RDWR | O_CLOEXEC | (fi->flags & O_EXCL) | extra, mode);
  if (fd < 0) return -errno;
  struct stat st;
  fstat(fd, &st);
  fi->fh = reinterpret_cast<uint64_t>(
      new Handle{fd, st.st_ino, (fi->flags & O_DSYNC) != 0});
  if (fi->flags & O_TRUNC) {
    FileState& f = g_fs->State(st.st_ino, fd);
    g_fs->Truncate(f, 0);
    if (H(fi)->sync) return g_fs->Flush(st.st_ino);
  }
  return 0;
}

int Open(const char* path, fuse_file_info* fi) {
  if (CutFs::IsHidden(path)) return -ENOENT;
  std::lock_guard<std::mutex> lock(g_fs->mu);
  return OpenReal(path, fi, 0, 0);
}

int Create(const char* path, mode_t mode, fuse_file_info* fi) {
  if (CutFs::IsHidden(path)) return -EACCES;
  std::lock_guard<std::mutex> lock(g_fs->mu);
  struct stat st;
  bool exists = lstat(g_fs->Real(path).c_str(), &st) == 0;
  if (!exists) g_fs->Journal({"create", path, "", "", {Parent(path)}});
  return OpenReal(path, fi, O_CREAT, mode);
}

int Release(const char*, fuse_file_info* fi) {
  Handle* h = H(fi);
  close(h->fd);
  delete h;
  return 0;
}

int Read(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  Handle* h = H(fi);
  auto it = g_fs->files.find(h->ino);
  if (it == g_fs->files.end() || !it->second.Dirty()) {
    ssize_t n = pread(h->fd, buf, size, off);
    return n < 0 ? -errno : static_cast<int>(n);
  }
  return static_cast<int>(g_fs->Read(it->second, h->fd, buf, size, off));
}

int Write(const char*, const char* buf, size_t size, off_t off,
          fuse_file_info* fi) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  Handle* h = H(fi);
  FileState& f = g_fs->State(h->ino, h->fd);
  g_fs->Write(f, buf, size, off);
  if (h->sync) {
    int rc = g_fs->Flush(h->ino);
    if (rc != 0) return rc;
  }
  return static_cast<int>(size);
}

int Truncate(const char* path, off_t size, fuse_file_info* fi) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  int fd = H(fi) != nullptr
               ? H(fi)->fd
               : open(g_fs->Real(path).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  fstat(fd, &st);
  g_fs->Truncate(g_fs->State(st.st_ino, fd), size);
  if (H(fi) == nullptr) close(fd);
  return 0;
}

int Fsync(const char*, int, fuse_file_info* fi) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  return g_fs->Flush(H(fi)->ino);
}

int Fsyncdir(const char*, int, fuse_file_info* fi) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  g_fs->CommitDir(DirPath(fi));
  return 0;
}

int Mkdir(const char* path, mode_t mode) {
  if (CutFs::IsHidden(path)) return -EACCES;
  std::lock_guard<std::mutex> lock(g_fs->mu);
  if (mkdir(g_fs->Real(path).c_str(), mode) != 0) return -errno;
  g_fs->Journal({"mkdir", path, "", "", {Parent(path)}});
  return 0;
}

int Rmdir(const char* path) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  if (rmdir(g_fs->Real(path).c_str()) != 0) return -errno;
  g_fs->Journal({"rmdir", path, "", "", {Parent(path)}});
  return 0;
}

int Unlink(const char* path) {
  std::lock_guard<std::mutex> lock(g_fs->mu);
  std::string stash = g_fs->NewStash();
  if (rename(g_fs->Real(path).c_str(), g_fs->Real(stash.c_str()).c_str()) !=
      0) {
    return -errno;
  }
  g_fs->Journal({"unlink", path, "", stash, {Parent(path)}});
  return 0;
}

int Rename(const char* from, const char* to, unsigned int flags) {
  if (flags != 0) return -EINVAL;
  if (CutFs::IsHidden(from) || CutFs::IsHidden(to)) return -EACCES;
  std::lock_guard<std::mutex> lock(g_fs->mu);
  std::string real_to = g_fs->Real(to), stash;
  struct stat st;
  if (lstat(g_fs->Real(from).c_str(), &st) != 0) return -errno;
  if (lstat(real_to.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    stash = g_fs->NewStash();
    if (rename(real_to.c_str(), g_fs->Real(stash.c_str()).c_str()) != 0) {
      return -errno;
    }
  }
  if (rename(g_fs->Real(from).c_str(), real_to.c_str()) != 0) {
    int error = errno;
    if (!stash.empty())
      rename(g_fs->Real(stash.c_str()).c_str(), real_to.c_str());
    return -error;
  }
  std::vector<std::string> dirs = {Parent(from)};
  if (Parent(to) != Parent(from)) dirs.push_back(Parent(to));
  g_fs->Journal({"rename", from, to, stash, dirs});
  return 0;
}

int Statfs(const char*, struct statvfs* st) {
  return statvfs(g_fs->Real("/").c_str(), st) == 0 ? 0 : -errno;
}

int Chmod(const char* path, mode_t mode, fuse_file_info* fi) {
  int rc = H(fi) != nullptr ? fchmod(H(fi)->fd, mode)
                            : chmod(g_fs->Real(path).c_str(), mode);
  return rc == 0 ? 0 : -errno;
}

int Utimens(const char* path, const timespec tv[2], fuse_file_info* fi) {
  int rc = H(fi) != nullptr ? futimens(H(fi)->fd, tv)
                            : utimensat(AT_FDCWD, g_fs->Real(path).c_str(), tv,
                                        AT_SYMLINK_NOFOLLOW);
  return rc == 0 ? 0 : -errno;
}

// Waits for SIGUSR1 (clean cut) or SIGUSR2 (torn cut), blocked in every
// thread, so the cut runs outside a signal handler and may take the mutex.
void CutOnSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  int signal = 0;
  sigwait(&set, &signal);
  g_fs->Cut(signal == SIGUSR2);
}

}  // namespace
}  // namespace cutfs

int main(int argc, char** argv) {
  using namespace cutfs;
  std::string stats;
  uint64_t seed = 1;
  std::vector<char*> args = {argv[0]};
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--stats=", 0) == 0) {
      stats = a.substr(8);
    } else if (a.rfind("--seed=", 0) == 0) {
      seed = std::stoull(a.substr(7));
    } else if (a[0] != '-' && positional.size() < 2 &&
               (i == 1 || argv[i - 1] != std::string("-o"))) {
      positional.push_back(a);
    } else {
      args.push_back(argv[i]);
    }
  }
  if (positional.size() != 2) {
    std::fprintf(stderr,
                 "usage: %s BACKING MOUNTPOINT [--stats=FILE] [--seed=N] "
                 "[FUSE options]\n",
                 argv[0]);
    return 2;
  }
  std::string backing = fs::absolute(positional[0]).lexically_normal().string();
  if (backing.size() > 1 && backing.back() == '/') backing.pop_back();
  CutFs cut(backing, stats, seed);
  g_fs = &cut;
  int undone = cut.Recover();
  std::fprintf(stderr, "cutfs: %s on %s; undid %d namespace changes\n",
               backing.c_str(), positional[1].c_str(), undone);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(CutOnSignal).detach();

  fuse_operations ops{};
  ops.init = Init;
  ops.getattr = Getattr;
  ops.opendir = Opendir;
  ops.releasedir = Releasedir;
  ops.readdir = Readdir;
  ops.open = Open;
  ops.create = Create;
  ops.release = Release;
  ops.read = Read;
  ops.write = Write;
  ops.truncate = Truncate;
  ops.fsync = Fsync;
  ops.fsyncdir = Fsyncdir;
  ops.mkdir = Mkdir;
  ops.rmdir = Rmdir;
  ops.unlink = Unlink;
  ops.rename = Rename;
  ops.statfs = Statfs;
  ops.chmod = Chmod;
  ops.utimens = Utimens;
  args.push_back(const_cast<char*>(positional[1].c_str()));
  return fuse_main(static_cast<int>(args.size()), args.data(), &ops, nullptr);
}
