// A file sealed with a face: the helper-data record that releases the key, the key context, and the
// AES-256-GCM payload bound to both. Layout: "SMSF" u16 version=1, u16 context length, u64 record
// length, context, record, SMSL payload (aad = everything before it).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "spheremask/keys.hpp"
#include "spheremask/record.hpp"

namespace spheremask {

struct SealedFile {
  Record record;
  std::string context;
  std::vector<uint8_t> header;   // bytes before the payload (the payload's aad)
  std::vector<uint8_t> payload;  // SMSL
};

std::vector<uint8_t> make_sealed_file(const Record& record, const std::string& context,
                                                     const SecretKey& key, std::span<const uint8_t> plaintext);
// Throws Error{InvalidRecord} naming what is malformed.
SealedFile parse_sealed_file(std::span<const uint8_t> bytes, bool allow_weak = false);

}  // namespace spheremask
