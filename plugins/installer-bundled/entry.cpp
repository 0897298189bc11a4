// installer-bundled's one exported symbol.
#include "installer.hpp"

CONCOURSE_SDK_DEFINE_PLUGIN(CC_KIND_RESOURCE_TYPE_INSTALLER, "bundled", "1.0.0",
                            "installs <dir>/<type>/ and <dir>/<type>/<version>/ resource types "
                            "(resource_metadata.json + rootfs.tgz or rootfs/) into volumes",
                            0, 0, concourse::sdk::installer_vtable<concourse::installer::Bundled>())
