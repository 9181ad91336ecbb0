// `spheremask seal` / `spheremask open`: a file sealed with a face and reopened with a fresh photo.
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "tools/npy.hpp"
#include "tools/sealed_file.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

const float* template_row(const NpyMatrix& x, size_t row, const std::string& path) {
  if (row >= x.rows())
    throw Error(ErrorCode::InvalidArgument, path + " has " + std::to_string(x.rows()) + " rows; --row " +
                                                std::to_string(row) + " does not exist");
  return x.row(row);
}

}  // namespace

void add_seal_commands(CLI::App& app) {
  struct Opts { EngineFlags engine; std::string templ, in, out, context = "file"; size_t row = 0; };
  auto s = std::make_shared<Opts>();
  auto* seal_cmd = app.add_subcommand("seal", "encrypt a file under a key that only a matching face releases");
  s->engine.add_to(*seal_cmd);
  seal_cmd->add_option("--template", s->templ, "float32 .npy holding the enrolling template")->required();
  seal_cmd->add_option("--row", s->row, "row of --template")->capture_default_str();
  seal_cmd->add_option("--in", s->in, "file to seal")->required();
  seal_cmd->add_option("--out", s->out, "sealed output (.smsf)")->required();
  seal_cmd->add_option("--context", s->context, "key context (stored in the file)")->capture_default_str();
  seal_cmd->callback([s] {
    const NpyMatrix x = NpyMatrix::open(s->templ);
    const float* t = template_row(x, s->row, s->templ);
    auto engine = s->engine.make(uint32_t(x.cols()));
    const auto records = engine->enroll(t, 1);
    // The enrolling template releases the key exactly as a later genuine probe will.
    const auto keyed = engine->verify_and_derive(t, 1, records, s->context);
    if (keyed[0].decision != Decision::Accept)
      throw Error(ErrorCode::Backend, "fresh record did not accept its own template");
    const std::string plain = read_file(s->in);
    const auto out = make_sealed_file(records[0], s->context, keyed[0].key, as_bytes(plain));
    write_file_atomic(s->out, out.data(), out.size());
    std::cerr << "sealed " << plain.size() << " bytes into " << s->out << "\n";
  });

  auto o = std::make_shared<Opts>();
  auto* open_cmd = app.add_subcommand("open", "decrypt a sealed file with a fresh template of the same face");
  open_cmd->add_option("--template", o->templ, "float32 .npy holding the probe template")->required();
  open_cmd->add_option("--row", o->row, "row of --template")->capture_default_str();
  open_cmd->add_option("--in", o->in, "sealed file (.smsf)")->required();
  open_cmd->add_option("--out", o->out, "where to write the opened file")->required();
  open_cmd->add_option("--backend", o->engine.backend, "cpu, cuda or auto")->capture_default_str();
  open_cmd->add_option("--expander", o->engine.expander, "template expander the file was sealed with");
  open_cmd->add_flag("--allow-weak", o->engine.allow_weak, "accept codes under 80 bits (testing only)");
  open_cmd->add_option("--app-key-file", o->engine.app_key_file, "application key the file was sealed under (32 raw bytes or 64 hex digits)");
  open_cmd->callback([o] {
    const std::string bytes = read_file(o->in);
    const SealedFile f = parse_sealed_file(as_bytes(bytes), o->engine.allow_weak);
    const NpyMatrix x = NpyMatrix::open(o->templ);
    const float* t = template_row(x, o->row, o->templ);
    EngineFlags flags = o->engine;
    flags.n = f.record.n;
    flags.alpha = f.record.alpha;
    auto engine = flags.make(uint32_t(x.cols()));
    const auto keyed = engine->verify_and_derive(t, 1, std::span<const Record>(&f.record, 1), f.context);
    if (keyed[0].decision == Decision::Tampered)
      throw Error(ErrorCode::Tampered, o->in + ": the record's MAC does not verify; the file was tampered with");
    if (keyed[0].decision != Decision::Accept)
      throw Error(ErrorCode::Mismatch, "the template does not match the face this file was sealed with");
    const auto plain = open_sealed(keyed[0].key, f.payload, f.header);
    write_file_atomic(o->out, plain.data(), plain.size());
    std::cerr << "opened " << o->in << " (" << plain.size() << " bytes) into " << o->out << "\n";
  });
}

}  // namespace spheremask::cli
