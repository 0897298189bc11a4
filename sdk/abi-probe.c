/*
 * Compiles every SDK header as strict C99 and makes every ABI type reachable from an exported
 * function, so abidw/abidiff can see the whole surface (tests/abi compares it to the baseline).
 */
#include "concourse/concourse.h"

const cc_plugin_descriptor *cc_abi_probe_descriptor(const cc_plugin_descriptor *d);
const cc_runtime_vtable *cc_abi_probe_runtime(const cc_runtime_vtable *v);
const cc_probe_vtable *cc_abi_probe_probe(const cc_probe_vtable *v);
const cc_gc_vtable *cc_abi_probe_gc(const cc_gc_vtable *v);
const cc_credential_vtable *cc_abi_probe_credential(const cc_credential_vtable *v);
const cc_installer_vtable *cc_abi_probe_installer(const cc_installer_vtable *v);
const cc_host_api *cc_abi_probe_host(const cc_host_api *h);

const cc_plugin_descriptor *cc_abi_probe_descriptor(const cc_plugin_descriptor *d) { return d; }
const cc_runtime_vtable *cc_abi_probe_runtime(const cc_runtime_vtable *v) { return v; }
const cc_probe_vtable *cc_abi_probe_probe(const cc_probe_vtable *v) { return v; }
const cc_gc_vtable *cc_abi_probe_gc(const cc_gc_vtable *v) { return v; }
const cc_credential_vtable *cc_abi_probe_credential(const cc_credential_vtable *v) { return v; }
const cc_installer_vtable *cc_abi_probe_installer(const cc_installer_vtable *v) { return v; }
const cc_host_api *cc_abi_probe_host(const cc_host_api *h) { return h; }
