/*
 * concourse/version.h: the ABI version this copy of the SDK describes.
 *
 * Compatibility promise: within one major version, a minor release only appends (fields at the
 * end of structs, slots at the end of vtables, new flag bits, new status codes). A plugin built
 * against minor N loads into any host of the same major whose minor is >= N. The host refuses a
 * plugin whose major differs, or whose minor is newer than its own, with a message naming both.
 */
#ifndef CONCOURSE_VERSION_H
#define CONCOURSE_VERSION_H

#define CC_ABI_MAJOR 1
#define CC_ABI_MINOR 0

/* The one symbol every plugin exports (see plugin.h). */
#define CC_PLUGIN_ENTRY_SYMBOL "concourse_plugin_entry"

#endif /* CONCOURSE_VERSION_H */
