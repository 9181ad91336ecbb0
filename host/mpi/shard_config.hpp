// The record configuration an engine produces, as the manifest of a sharded store records it.
#pragma once
#include "spheremask/engine.hpp"
#include "spheremask/expander.hpp"
#include "spheremask/store.hpp"
#include "engine/template_prep.hpp"

namespace spheremask::mpi {

inline RecordConfig config_of(const Params& p) {
  RecordConfig c;
  c.m = p.m;
  c.n = p.n;
  c.alpha = p.alpha;
  c.dtype = p.dtype;
  if (p.expander) c.expander_id = p.expander->id();
  if (p.app_key) c.app_id = internal::app_id(*p.app_key);
  return c;
}

}  // namespace spheremask::mpi
