#include "worker/baggageclaim/async_creations.hpp"

#include <thread>

#include "core/error.hpp"

namespace concourse::worker::baggageclaim {

AsyncCreations::~AsyncCreations() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return running_ == 0; });
}

void AsyncCreations::start(const std::string& handle, Strategy strategy, Properties props,
                           bool privileged, int64_t ttl) {
  {
    std::lock_guard lock(mu_);
    if (futures_.count(handle) != 0 || store_.get(handle)) {
      throw core::Error(CC_E_EXISTS, "volume already exists: " + handle);
    }
    futures_[handle] = Future{};
    ++running_;
  }
  std::thread([this, handle, strategy = std::move(strategy), props = std::move(props), privileged,
               ttl] {
    Status st;
    st.done = true;
    try {
      st.volume = store_.create(handle, strategy, props, privileged, ttl);
    } catch (const core::Error& e) {
      st.error = e.what();
      st.code = e.code();
    } catch (const std::exception& e) {
      st.error = e.what();
      st.code = CC_E_INTERNAL;
    }
    std::lock_guard lock(mu_);
    auto it = futures_.find(handle);
    if (it == futures_.end() || it->second.cancelled) {
      if (st.volume) {
        try {
          store_.destroy(handle);
        } catch (...) {
        }
      }
      if (it != futures_.end())
        futures_.erase(it);
    } else {
      it->second.status = std::move(st);
    }
    if (--running_ == 0)
      idle_.notify_all();
  }).detach();
}

std::optional<AsyncCreations::Status> AsyncCreations::status(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = futures_.find(handle);
  if (it == futures_.end())
    return std::nullopt;
  return it->second.status;
}

bool AsyncCreations::cancel(const std::string& handle) {
  std::lock_guard lock(mu_);
  auto it = futures_.find(handle);
  if (it == futures_.end())
    return false;
  if (it->second.status.done) {
    futures_.erase(it);  // the ATC got its volume (or its error); forget the future
  } else {
    it->second.cancelled = true;
  }
  return true;
}

}  // namespace concourse::worker::baggageclaim
