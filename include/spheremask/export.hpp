// Symbols are hidden by default; SPHEREMASK_API marks the public ones.
#pragma once
#if defined(SPHEREMASK_STATIC_DEFINE)
#define SPHEREMASK_API
#elif defined(_WIN32)
#define SPHEREMASK_API __declspec(dllexport)
#else
#define SPHEREMASK_API __attribute__((visibility("default")))
#endif
