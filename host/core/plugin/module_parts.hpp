// Private: what a LoadedModule owns. Kept out of loaded_module.hpp so Boost.DLL stays an
// implementation detail of host/core/plugin.
#pragma once

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/shared_library.hpp>
#include <memory>
#include <string>

#include "core/plugin/host_services.hpp"
#include "core/plugin/loaded_module.hpp"

namespace concourse::core::plugin {

struct LoadedModule::Parts {
  // Declared first so it is destroyed last: nothing of the plugin may outlive its code.
  boost::dll::shared_library library;
  std::unique_ptr<HostServices> services;
  const cc_plugin_descriptor* descriptor = nullptr;
  std::string source_path, loaded_path, sha256;
};

}  // namespace concourse::core::plugin
