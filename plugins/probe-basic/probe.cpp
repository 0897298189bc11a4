#include "probe.hpp"

namespace concourse::probe_basic {

BasicProbe::BasicProbe(const sdk::Host& host, const sdk::InstanceParams&) : sdk::Probe(host) {}

sdk::ProbeResult BasicProbe::probe(const sdk::Call& call) {
  const cc_worker_api* w = host().worker();
  if (w == nullptr)
    return {CC_PROBE_FAIL, "worker api unavailable"};
  cc_error err = sdk::Host::new_error();
  if (w->garden_ping(w->ctx, call.ctx(), &err) != CC_OK) {
    return {CC_PROBE_FAIL, std::string("garden: ") + err.message};
  }
  err = sdk::Host::new_error();
  cc_str_sink ignore{sizeof(cc_str_sink), nullptr, [](void*, cc_str) {}};
  if (w->volumes_list(w->ctx, call.ctx(), &ignore, &err) != CC_OK) {
    return {CC_PROBE_FAIL, std::string("baggageclaim: ") + err.message};
  }
  return {CC_PROBE_OK, ""};
}

}  // namespace concourse::probe_basic
