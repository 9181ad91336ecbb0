// C API: the embedded record store (spheremask::Store).
#include <string>
#include <vector>

#include "capi/c_api_handles.hpp"

using namespace spheremask;
using capi::guarded;
using capi::require;

namespace {

// Taken as int and compared as int (see to_dtype in c_api.cpp): an unchecked value is never loaded as the enum.
StoreMode to_mode(int mode) {
  if (mode == SM_STORE_READ_ONLY) return StoreMode::ReadOnly;
  if (mode == SM_STORE_READ_WRITE) return StoreMode::ReadWrite;
  if (mode == SM_STORE_CREATE) return StoreMode::Create;
  throw Error(ErrorCode::InvalidArgument,
              "mode: unknown store mode " + std::to_string(mode) +
                  " (SM_STORE_READ_ONLY, SM_STORE_READ_WRITE or SM_STORE_CREATE)");
}

}  // namespace

extern "C" {

sm_status sm_store_open(const char* path, int mode, sm_store** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(path, "path");
    *out = new sm_store{Store::open(path, to_mode(mode))};
  });
}

void sm_store_free(sm_store* store) { delete store; }

sm_status sm_store_count(sm_store* store, size_t* count) {
  return guarded([&] {
    require(store, "store");
    require(count, "count");
    *count = store->impl.count();
  });
}

sm_status sm_store_put(sm_store* store, const char* const* ids, const sm_records* records, int replace) {
  return guarded([&] {
    require(store, "store");
    require(records, "records");
    const size_t count = records->impl.size();
    if (count > 0) require(ids, "ids");
    std::vector<std::string> names;
    names.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (ids[i] == nullptr) throw Error(ErrorCode::InvalidArgument, "ids[" + std::to_string(i) + "] is null");
      names.emplace_back(ids[i]);
    }
    store->impl.put(names, records->impl, replace != 0);
  });
}

sm_status sm_store_get_append(sm_store* store, const char* id, int allow_weak, sm_records* out) {
  return guarded([&] {
    require(store, "store");
    require(id, "id");
    require(out, "out");
    Record r = store->impl.get(id, allow_weak != 0);
    out->impl.push_back(std::move(r));
  });
}

}  // extern "C"
