#include "ledger/embedded.hpp"
#include "ledger/ledger.hpp"

namespace akt::ledger {

Result<std::unique_ptr<Ledger>> open_ledger(const std::string& spec, const std::filesystem::path& home,
                                            const OpenOptions& options) {
  if (spec.rfind("http://", 0) == 0 || spec.rfind("https://", 0) == 0) return open_http_ledger(spec, options);
  std::filesystem::path path = spec.empty() ? home / "ledger.db" : std::filesystem::path(spec);
  Result<std::unique_ptr<EmbeddedLedger>> embedded = EmbeddedLedger::open(path, options);
  if (!embedded) return embedded.error();
  return std::unique_ptr<Ledger>(std::move(*embedded));
}

} // namespace akt::ledger
