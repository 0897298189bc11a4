// The catalogue of bundled resource types a worker advertises (reference §7): each entry of the
// resource-types directory is `<type>/` or `<type>/<version>/` holding rootfs.tgz and
// resource_metadata.json. This scan is the fallback when no installer plugin is loaded (then the
// images are the rootfs.tgz paths, read again at every registration); with one, the worker
// advertises volumes instead (resource_type_installs.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/log.hpp"

namespace concourse::worker {

// JSON array of atc.WorkerResourceType objects (type, image, version, privileged,
// unique_version_history), image = absolute path of rootfs.tgz. Where a type has several
// version directories the newest (semver) is advertised. Entries without metadata (build
// leftovers) are skipped with a debug line; a metadata file that is not valid JSON is skipped
// with a warning naming it, so one broken type never hides the others.
nlohmann::json scan_resource_types(const std::string& dir, const concourse::log::Logger& log);

}  // namespace concourse::worker
