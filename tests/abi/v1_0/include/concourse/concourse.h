/* concourse/concourse.h: every header of the plugin SDK at once. */
#ifndef CONCOURSE_CONCOURSE_H
#define CONCOURSE_CONCOURSE_H
#include "concourse/credential.h"
#include "concourse/gc.h"
#include "concourse/plugin.h"
#include "concourse/probe.h"
#include "concourse/resource_type.h"
#include "concourse/runtime.h"
#endif
