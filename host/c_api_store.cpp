// C API: the embedded record store (spheremask::Store).
#include <string>
#include <vector>

#include "c_api_handles.hpp"

using namespace spheremask;
using capi::guarded;
using capi::require;

namespace {

StoreMode to_mode(sm_store_mode mode) {
  switch (mode) {
    case SM_STORE_READ_ONLY: return StoreMode::ReadOnly;
    case SM_STORE_READ_WRITE: return StoreMode::ReadWrite;
    case SM_STORE_CREATE: return StoreMode::Create;
  }
  throw Error(ErrorCode::InvalidArgument, "unknown store mode " + std::to_string(int(mode)));
}

}  // namespace

extern "C" {

sm_status sm_store_open(const char* path, sm_store_mode mode, sm_store** out) {
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
