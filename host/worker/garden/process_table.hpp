// Every process the server started or re-attached, and the streams clients attach to it.
//
// A process record holds the plugin's process, the fds the runtime handed over, and the exit
// status once the runtime reports it (records stay ~1 minute after exit for late attaches).
// A stream is one Run or Attach: a control connection plus stdout and stderr queues that buffer
// from the stream's creation. The output pump reads each fd into every live stream's queue; a
// full queue pauses that fd instead of growing, and a queue nobody will ever read (its
// connection went away, or never came within a minute) is dropped so the process can go on.
//
// Locking: one mutex guards records, streams and queues. Plugin slots are never called with it
// held (a plugin may report an exit from inside any slot), and records/streams are never
// destroyed under it (destroying a record calls process_release).
#pragma once

#include <concourse/runtime.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "worker/garden/bomberman.hpp"
#include "worker/garden/output_pump.hpp"
#include "worker/garden/runtime_client.hpp"
#include "worker/garden/timer_queue.hpp"

namespace concourse::worker::garden {

inline constexpr int kStdout = 0;
inline constexpr int kStderr = 1;

struct Stream;

struct ProcessRecord {
  ProcessRecord(RuntimeClient& runtime, OutputPump& pump) : runtime_(runtime), pump_(pump) {}
  ~ProcessRecord();  // process_release, and closes whatever fds are left
  ProcessRecord(const ProcessRecord&) = delete;
  ProcessRecord& operator=(const ProcessRecord&) = delete;

  std::string handle;
  std::string id;
  uint64_t token = 0;
  bool tty = false;
  cc_process* process = nullptr;  // set once by activate, before any stream can see the record

  std::mutex stdin_mu;  // serialises writers; taken before the table mutex, never after
  int stdin_fd = -1;    // guarded by stdin_mu

  // Everything below is guarded by the table mutex.
  struct Output {
    int fd = -1;
    uint64_t key = 0;
    bool eof = false;
    bool paused = false;
  };
  std::array<Output, 2> out;
  bool activated = false;
  bool exited = false;
  int32_t exit_status = 0;
  std::string error;
  std::vector<std::weak_ptr<Stream>> streams;
  uint64_t drain_timer = 0;
  std::optional<Bomberman::Hold> running_hold;

 private:
  RuntimeClient& runtime_;
  OutputPump& pump_;
};

enum class ChannelState { Waiting, Attached, Done, Dropped };

struct Stream {
  Stream();
  ~Stream();  // closes wake_fd
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  std::string id;
  std::shared_ptr<ProcessRecord> record;
  int wake_fd = -1;  // eventfd: the control connection re-checks when it fires

  // Guarded by the table mutex.
  struct Channel {
    std::deque<std::string> chunks;
    size_t bytes = 0;
    ChannelState state = ChannelState::Waiting;
    bool eof = false;
    bool writing = false;
    TimerQueue::Clock::time_point eof_at{};
    uint64_t expiry_timer = 0;
    std::condition_variable cv;
    std::optional<Bomberman::Hold> hold;
  };
  std::array<Channel, 2> ch;
  bool control_open = true;
  std::optional<Bomberman::Hold> control_hold;
};

struct ProcessTiming {
  std::chrono::nanoseconds exited_retention = std::chrono::minutes(1);
  std::chrono::nanoseconds unattached_expiry = std::chrono::minutes(1);
  // After the exit, how long output may stay open (a daemonised child holding the pipe) before
  // the server stops waiting for EOF.
  std::chrono::nanoseconds exit_drain_grace = std::chrono::seconds(5);
  size_t queue_cap = size_t{8} << 20;
};

class ProcessTable {
 public:
  ProcessTable(RuntimeClient& runtime, Bomberman& bomberman, concourse::log::Logger log,
               ProcessTiming timing = {});
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  void start();
  // Wakes every connection waiting on a stream so it can finish (server stopping).
  void interrupt();
  // Stops the reader and timers and drops every record (releasing plugin processes).
  void stop();

  // Run / attach bookkeeping. reserve() registers a fresh exit token before the plugin is
  // called; activate() takes the plugin's process and fds and opens the first stream.
  // Throws GardenError when (handle, id) names a live process.
  std::shared_ptr<ProcessRecord> reserve(const std::string& handle, const std::string& id,
                                         bool tty);
  std::shared_ptr<Stream> activate(const std::shared_ptr<ProcessRecord>& record,
                                   cc_process* process, const cc_process_io& io);
  void abandon(const std::shared_ptr<ProcessRecord>& record);
  std::shared_ptr<ProcessRecord> find(const std::string& handle, const std::string& id);
  std::shared_ptr<Stream> open_stream(const std::shared_ptr<ProcessRecord>& record);
  std::shared_ptr<Stream> find_stream(const std::string& stream_id);
  // After a container is destroyed its processes can no longer be attached to.
  void forget_container(const std::string& handle);
  void on_exit(uint64_t token, int32_t exit_status, std::string_view error);

  // Control connection side.
  // The final frame ({"process_id","exit_status"} or {"process_id","error"}) once the exit is
  // known and the stream's attached outputs are drained; marks the control side closed.
  std::optional<std::string> take_final_frame(Stream& s);
  void control_closed(Stream& s);
  // Gives up (returns) when the final frame becomes ready while the pipe is full.
  void write_stdin(Stream& s, std::string_view data);
  void close_stdin(Stream& s);

  // Output connection side.
  bool attach_output(Stream& s, int c);
  // Blocks until output or the end; moves queued chunks into `batch`. false at the end.
  bool next_output(Stream& s, int c, std::vector<std::string>& batch);
  void output_written(Stream& s, int c);
  void output_gone(Stream& s, int c);

  // For tests and metrics.
  size_t record_count();
  size_t stream_count();
  size_t queued_bytes(Stream& s, int c);

 private:
  using Graveyard = std::vector<std::shared_ptr<void>>;

  void on_ready(uint64_t key);
  std::shared_ptr<Stream> new_stream_locked(const std::shared_ptr<ProcessRecord>& r);
  void fan_out_locked(ProcessRecord& r, int c, const char* data, size_t n, Graveyard& g);
  void finish_output_locked(ProcessRecord& r, int c, Graveyard& g);
  void maybe_resume_locked(ProcessRecord& r, int c, Graveyard& g);
  bool exit_ready_locked(const Stream& s) const;
  void wake_locked(ProcessRecord& r, Graveyard& g);
  void maybe_forget_locked(Stream& s, Graveyard& g);
  void drop_channel_locked(Stream& s, int c, Graveyard& g);
  void schedule_retire_locked(const std::shared_ptr<ProcessRecord>& r);
  void schedule_drain_locked(const std::shared_ptr<ProcessRecord>& r,
                             std::chrono::nanoseconds after);
  void schedule_expiry_locked(const std::shared_ptr<Stream>& s, int c,
                              TimerQueue::Clock::time_point when);
  void retire(const std::weak_ptr<ProcessRecord>& weak);
  void drain_deadline(const std::weak_ptr<ProcessRecord>& weak);
  void expire_channel(const std::weak_ptr<Stream>& weak, int c);

  RuntimeClient& runtime_;
  Bomberman& bomberman_;
  concourse::log::Logger log_;
  ProcessTiming timing_;
  OutputPump pump_;
  TimerQueue timers_;

  std::mutex mu_;
  bool stopping_ = false;
  uint64_t next_token_ = 1;
  uint64_t next_key_ = 1;
  uint64_t next_stream_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<ProcessRecord>> tokens_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<ProcessRecord>> pids_;
  std::unordered_map<uint64_t, std::pair<std::weak_ptr<ProcessRecord>, int>> keys_;
  std::unordered_map<std::string, std::shared_ptr<Stream>> streams_;
  std::vector<char> read_buf_;
};

}  // namespace concourse::worker::garden
