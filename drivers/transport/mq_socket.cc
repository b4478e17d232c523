#include "drivers/transport/mq_socket.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "drivers/transport/addressing.h"
#include "drivers/transport/datagram_capture.h"
#include "drivers/transport/fd_util.h"

namespace rpcfit::transport::internal {
namespace {

constexpr char kQueueKind = 'M';
constexpr char kSocketKind = 'U';
// Peer queues kept open per socket: a server answers a handful of clients at a time.
constexpr std::size_t kCachedQueues = 16;
constexpr long kMaxMessages = 10;
constexpr mqd_t kNoQueue = static_cast<mqd_t>(-1);

// How one queue is named: its POSIX queue, its socket (ep.path; ep.display is the name callers
// use) and its endpoint in captures.
struct MqNames {
  UnixEndpoint ep;
  std::string queue;
  Endpoint local;
};

std::filesystem::path run_dir_of(const DatagramContext& context) {
  return context.base.run_dir.empty() ? default_run_dir() : context.base.run_dir;
}

Result<MqNames, std::string> server_names(const std::string& name,
                                          const std::filesystem::path& run_dir) {
  auto ep = unix_endpoint(Protseq::ncadg_mq, name, run_dir);
  if (!ep) return unexpected(ep.error());
  std::string queue = "/rpcfit-" + std::to_string(::geteuid()) + "-" + ep->file_name;
  // Tighter than NAME_MAX: the name must fit the envelope's reply address.
  if (queue.size() > kMqMaxReplyAddress) {
    return unexpected("ncadg_mq queue name " + queue + " is " + std::to_string(queue.size()) +
                      " bytes; at most " + std::to_string(kMqMaxReplyAddress) +
                      " fit (use a shorter endpoint name)");
  }
  const Endpoint local = ep->server;
  return MqNames{std::move(*ep), std::move(queue), local};
}

Result<MqNames, std::string> client_names(const std::filesystem::path& run_dir) {
  static std::atomic<std::uint64_t> counter{0};
  const std::string id =
      std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1) + 1);
  auto names = server_names("c" + id, run_dir);
  if (!names) return names;
  // "mqc-<id>" is exactly as long as the "mq-c<id>" whose length unix_endpoint() checked.
  names->ep.path = run_dir / ("mqc-" + id);
  names->local = next_synthetic_client(Protseq::ncadg_mq);
  return names;
}

Bytes seal(char kind, std::uint16_t port, const std::string& reply, ByteView datagram) {
  ByteWriter w(ByteOrder::little);
  w.u8(static_cast<std::uint8_t>(kind));
  w.u16(port);
  w.u8(static_cast<std::uint8_t>(reply.size()));
  w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()));
  w.bytes(datagram);
  return w.take();
}

struct Envelope {
  char kind;
  std::uint16_t port;
  std::string reply;
  ByteView datagram;
};

// Anything may have been written to a socket-backed queue, so nothing is trusted before it is
// checked.
std::optional<Envelope> open_envelope(ByteView message) {
  ByteReader r(message, ByteOrder::little);
  std::uint8_t kind = 0;
  std::uint16_t port = 0;
  std::uint8_t length = 0;
  ByteView reply;
  if (!r.u8(kind) || !r.u16(port) || !r.u8(length) || !r.bytes(length, reply)) return std::nullopt;
  if (kind != kQueueKind && kind != kSocketKind) return std::nullopt;
  Envelope e{static_cast<char>(kind), port, std::string(reply.begin(), reply.end()), r.rest()};
  // Queue names and socket paths both start with '/' and are C strings.
  if (e.reply.empty() || e.reply.front() != '/' || e.reply.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  if (e.datagram.size() > kMqMaxDatagram) return std::nullopt;
  return e;
}

// An open POSIX queue descriptor. An owned queue (a socket's own) is also removed on reset.
class QueueHandle {
 public:
  QueueHandle() = default;
  QueueHandle(mqd_t mqd, std::string name, bool owned)
      : mqd_(mqd), name_(std::move(name)), owned_(owned) {}
  ~QueueHandle() { reset(); }
  QueueHandle(QueueHandle&& other) noexcept
      : mqd_(std::exchange(other.mqd_, kNoQueue)),
        name_(std::move(other.name_)),
        owned_(other.owned_) {}
  QueueHandle& operator=(QueueHandle&& other) noexcept {
    if (this != &other) {
      reset();
      mqd_ = std::exchange(other.mqd_, kNoQueue);
      name_ = std::move(other.name_);
      owned_ = other.owned_;
    }
    return *this;
  }
  QueueHandle(const QueueHandle&) = delete;
  QueueHandle& operator=(const QueueHandle&) = delete;

  mqd_t get() const { return mqd_; }
  bool valid() const { return mqd_ != kNoQueue; }
  const std::string& name() const { return name_; }
  void reset() {
    if (mqd_ == kNoQueue) return;
    ::mq_close(mqd_);
    if (owned_) ::mq_unlink(name_.c_str());
    mqd_ = kNoQueue;
  }

 private:
  mqd_t mqd_ = kNoQueue;
  std::string name_;
  bool owned_ = false;
};

// Where a socket receives: its own POSIX queue, or else its bound Unix datagram socket.
struct Inbox {
  QueueHandle queue;
  Fd socket;
  OwnedSocketFile file;  // of `socket`
  std::string address;   // the reply address: queue name or socket path

  char kind() const { return queue.valid() ? kQueueKind : kSocketKind; }
  // On Linux a mqd_t is a file descriptor that poll() reports readable.
  int fd() const { return queue.valid() ? queue.get() : socket.get(); }
};

long max_messages() {
  long limit = kMaxMessages;
  std::ifstream in("/proc/sys/fs/mqueue/msg_max");
  long value = 0;
  if (in >> value && value > 0) limit = std::min(limit, value);
  return limit;
}

// The errno of mq_open on failure.
Result<Inbox, int> posix_inbox(const MqNames& names, bool client) {
  mq_attr attr{};
  attr.mq_maxmsg = max_messages();
  attr.mq_msgsize = static_cast<long>(kMqMessageSize);
  for (bool retried = false;; retried = true) {
    const mqd_t q = ::mq_open(names.queue.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK,
                              static_cast<mode_t>(0600), &attr);
    if (q != kNoQueue) {
      Inbox inbox;
      inbox.queue = QueueHandle(q, names.queue, true);
      inbox.address = names.queue;
      return inbox;
    }
    // A client's name holds this process's id, so an existing queue of that name was left by a
    // dead process that had the same id.
    if (errno == EEXIST && client && !retried) {
      ::mq_unlink(names.queue.c_str());
      continue;
    }
    return unexpected(errno);
  }
}

Result<Inbox, std::string> socket_inbox(const MqNames& names) {
  if (auto cleared = clear_stale_socket(names.ep); !cleared) return unexpected(cleared.error());
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  auto file = bind_socket_file(fd.get(), names.ep);
  if (!file) return unexpected(file.error());
  Inbox inbox;
  inbox.socket = std::move(fd);
  inbox.file = std::move(*file);
  inbox.address = names.ep.path.string();
  return inbox;
}

std::string queue_error(const MqNames& names, int err) {
  if (err == EEXIST) {
    return "ncadg_mq queue already exists: " + names.ep.display + " (POSIX queue " + names.queue +
           " belongs to another server or was left by a crashed run)";
  }
  return errno_text("mq_open " + names.queue, err);
}

// Missing support and exhausted limits (RLIMIT_MSGQUEUE, queues_max, ...): what the automatic
// backend answers with a socket. EINVAL is a msgsize_max below kMqMessageSize, since the names
// were checked before.
bool posix_unavailable(int err) {
  switch (err) {
    case ENOSYS:
    case EACCES:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOSPC:
    case EINVAL:
      return true;
    default:
      return false;
  }
}

Result<Inbox, std::string> create_inbox(MqBackend backend, const MqNames& names, bool client) {
  switch (backend) {
    case MqBackend::socket:
      return socket_inbox(names);
    case MqBackend::posix:
    case MqBackend::automatic: {
      auto inbox = posix_inbox(names, client);
      if (inbox) return std::move(inbox).value();
      if (backend == MqBackend::automatic && posix_unavailable(inbox.error())) {
        return socket_inbox(names);
      }
      return unexpected(queue_error(names, inbox.error()));
    }
  }
  return unexpected(std::string("unknown ncadg_mq backend"));
}

// Threading: as DatagramSocket. Senders serialise on send_mu_, which guards the peer queue cache
// and the lazily made sending socket; the receive path touches neither.
class MqSocket final : public DatagramSocket {
 public:
  MqSocket(Inbox inbox, const MqNames& names, bool server, const DatagramContext& context)
      : inbox_(std::move(inbox)),
        display_(names.ep.display),
        server_(server),
        clock_(*context.base.clock),
        tee_(clock_, context.base.capture, names.local),
        buffer_(kMqMessageSize) {}

  ~MqSocket() override { close(); }

  IoResult send_to(ByteView datagram, const DatagramPeer& to) override {
    if (closed_) return {IoStatus::failed, "socket is closed"};
    if (datagram.size() > kMqMaxDatagram) {
      return {IoStatus::failed, "datagram of " + std::to_string(datagram.size()) +
                                    " bytes exceeds the ncadg_mq maximum of " +
                                    std::to_string(kMqMaxDatagram)};
    }
    const char kind = to.address.empty() ? '\0' : to.address.front();
    if (to.address.size() < 2 || (kind != kQueueKind && kind != kSocketKind)) {
      return {IoStatus::failed,
              "send to " + to.endpoint.to_string() + ": not an ncadg_mq peer address"};
    }
    const Bytes message = seal(inbox_.kind(), tee_.local().port, inbox_.address, datagram);
    const std::string target = to.address.substr(1);
    std::lock_guard lock(send_mu_);
    return tee_.send(datagram, to.endpoint, [&] {
      return kind == kQueueKind ? send_to_queue(target, message) : send_to_socket(target, message);
    });
  }

  IoResult receive_from(Bytes& datagram, DatagramPeer& from, const Deadline& deadline,
                        const Waker* waker) override {
    if (closed_) return {IoStatus::failed, "socket is closed"};
    auto attempt = [&]() -> std::optional<IoResult> {
      const ssize_t n = take_message();
      if (n < 0) {
        if (errno == EAGAIN) return std::nullopt;
        return IoResult{IoStatus::failed, errno_text("receive from " + inbox_.address, errno)};
      }
      // Longer than any envelope, or malformed: dropped, as a network drops a damaged datagram.
      if (static_cast<std::size_t>(n) > buffer_.size()) return std::nullopt;
      const std::optional<Envelope> envelope =
          open_envelope(ByteView(buffer_.data(), static_cast<std::size_t>(n)));
      if (!envelope) return std::nullopt;
      // A server hears from clients and a client from its server.
      from.endpoint = synthetic_endpoint(Protseq::ncadg_mq, !server_, envelope->port);
      from.address = envelope->kind + envelope->reply;
      datagram.assign(envelope->datagram.begin(), envelope->datagram.end());
      tee_.received(datagram, from.endpoint);
      return IoResult{};
    };
    return receive_until(inbox_.fd(), attempt, waker, clock_, deadline);
  }

  void detach_capture() override { tee_.detach(); }

  void close() override {
    if (closed_) return;
    closed_ = true;
    inbox_.queue.reset();
    inbox_.socket.reset();
    remove_socket_file(inbox_.file);
    cache_.clear();
    sender_.reset();
  }

  Endpoint local_endpoint() const override { return tee_.local(); }
  std::string endpoint() const override { return display_; }
  std::size_t max_datagram() const override { return kMqMaxDatagram; }

 private:
  ssize_t take_message() {
    if (!inbox_.queue.valid()) return recv_datagram(inbox_.socket.get(), buffer_, nullptr, nullptr);
    for (;;) {
      const ssize_t n = ::mq_receive(inbox_.queue.get(), reinterpret_cast<char*>(buffer_.data()),
                                     buffer_.size(), nullptr);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  // The cached descriptor of peer queue `name`, most recently used last.
  Result<mqd_t, IoResult> peer_queue(const std::string& name) {
    auto found = std::find_if(cache_.begin(), cache_.end(),
                              [&](const QueueHandle& q) { return q.name() == name; });
    if (found != cache_.end()) {
      // A removed queue lives on for its open descriptors and would swallow messages until
      // full; its link count tells that its owner has closed it, so the name is looked up again.
      struct stat st {};
      if (::fstat(found->get(), &st) != 0 || st.st_nlink == 0) {
        cache_.erase(found);
      } else {
        std::rotate(found, found + 1, cache_.end());
        return cache_.back().get();
      }
    }
    const mqd_t q = ::mq_open(name.c_str(), O_WRONLY | O_NONBLOCK);
    if (q == kNoQueue) {
      if (errno == ENOENT)
        return unexpected(IoResult{IoStatus::closed, "no ncadg_mq queue " + name});
      return unexpected(IoResult{IoStatus::failed, errno_text("mq_open " + name, errno)});
    }
    cache_.emplace_back(q, name, false);
    if (cache_.size() > kCachedQueues) cache_.pop_front();
    return q;
  }

  void forget_queue(const std::string& name) {
    std::erase_if(cache_, [&](const QueueHandle& q) { return q.name() == name; });
  }

  IoResult send_to_queue(const std::string& name, const Bytes& message) {
    auto queue = peer_queue(name);
    if (!queue) return queue.error();
    for (;;) {
      if (::mq_send(*queue, reinterpret_cast<const char*>(message.data()), message.size(), 0) ==
          0) {
        return {};
      }
      switch (errno) {
        case EINTR:
          continue;
        case EAGAIN:
          return {IoStatus::timed_out, {}};
        default: {
          const int err = errno;
          forget_queue(name);
          return {IoStatus::failed, errno_text("mq_send " + name, err)};
        }
      }
    }
  }

  IoResult send_to_socket(const std::string& path, const Bytes& message) {
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      return {IoStatus::failed, "ncadg_mq socket path too long: " + path};
    }
    // A socket-backed queue replies from its own socket; a POSIX-backed one needs a socket
    // for this only.
    if (!inbox_.socket.valid() && !sender_.valid()) {
      sender_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (!sender_.valid()) return {IoStatus::failed, errno_text("socket", errno)};
    }
    const int fd = inbox_.socket.valid() ? inbox_.socket.get() : sender_.get();
    const SocketAddress address = unix_address(path);
    for (;;) {
      if (::sendto(fd, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL, address.get(),
                   address.length) >= 0) {
        return {};
      }
      switch (errno) {
        case EINTR:
          continue;
        case ECONNREFUSED:
        case ENOENT:
          return {IoStatus::closed, "no ncadg_mq socket at " + path};
        case EAGAIN:
        case ENOBUFS:
          return {IoStatus::timed_out, {}};
        default:
          return {IoStatus::failed, errno_text("sendto " + path, errno)};
      }
    }
  }

  Inbox inbox_;
  const std::string display_;
  const bool server_;
  const Clock& clock_;
  DatagramTee tee_;
  bool closed_ = false;
  Bytes buffer_;  // receive path only

  std::mutex send_mu_;
  std::deque<QueueHandle> cache_;  // guarded by send_mu_
  Fd sender_;                      // guarded by send_mu_
};

// 0 when the POSIX queue exists, else the errno of opening it.
int probe_queue(const MqNames& names) {
  const mqd_t q = ::mq_open(names.queue.c_str(), O_WRONLY | O_NONBLOCK);
  if (q == kNoQueue) return errno;
  ::mq_close(q);
  return 0;
}

// The server's queue: its POSIX queue if there is one, else its socket.
Result<DatagramPeer, std::string> find_server(const MqNames& names) {
  const int err = probe_queue(names);
  if (err == 0) return DatagramPeer{names.local, kQueueKind + names.queue};
  struct stat st {};
  if (::lstat(names.ep.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    return DatagramPeer{names.local, kSocketKind + names.ep.path.string()};
  }
  const std::string posix = err == ENOENT ? "no POSIX queue " + names.queue
                                          : errno_text("POSIX queue " + names.queue, err);
  return unexpected("no ncadg_mq queue " + names.ep.display + " (" + posix + ", no socket " +
                    names.ep.path.string() + ")");
}

}  // namespace

Result<DatagramClient, std::string> open_mq(const std::string& name,
                                            const DatagramContext& context) {
  auto dir = ensure_private_dir(run_dir_of(context));
  if (!dir) return unexpected(dir.error());
  auto names = server_names(name, *dir);
  if (!names) return unexpected(names.error());
  auto server = find_server(*names);
  if (!server) return unexpected(server.error());
  auto own = client_names(*dir);
  if (!own) return unexpected(own.error());
  auto inbox = create_inbox(context.mq_backend, *own, true);
  if (!inbox) return unexpected(inbox.error());
  auto socket = std::make_unique<MqSocket>(std::move(*inbox), *own, false, context);
  return DatagramClient{std::move(socket), std::move(*server)};
}

Result<std::unique_ptr<DatagramSocket>, std::string> bind_mq(const std::string& name,
                                                             const DatagramContext& context) {
  auto dir = ensure_private_dir(run_dir_of(context));
  if (!dir) return unexpected(dir.error());
  const std::string chosen = name.empty() || name == "0" ? generate_endpoint_name() : name;
  auto names = server_names(chosen, *dir);
  if (!names) return unexpected(names.error());
  // One name, one server, whatever its kind: clients look for the POSIX queue first, so a live
  // socket of the name must not be shadowed by a new queue, nor a queue hide a new socket.
  if (auto cleared = clear_stale_socket(names->ep); !cleared) return unexpected(cleared.error());
  if (probe_queue(*names) == 0) return unexpected(queue_error(*names, EEXIST));
  auto inbox = create_inbox(context.mq_backend, *names, false);
  if (!inbox) return unexpected(inbox.error());
  return std::unique_ptr<DatagramSocket>(
      std::make_unique<MqSocket>(std::move(*inbox), *names, true, context));
}

}  // namespace rpcfit::transport::internal
