// COPPER_API marks what libcopper exports: the library is built with hidden
// symbol visibility, so only what the public headers promise is reachable
// from a program or a plugin, and everything else can change freely.
// Templates and inline functions need no mark: they compile into the user's
// own binary.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define COPPER_API __attribute__((visibility("default")))
#else
#define COPPER_API
#endif
