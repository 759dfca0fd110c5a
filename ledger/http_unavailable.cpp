// Used when the HTTP client (ledger/http_client.cpp) is not part of the build.
#include "ledger/ledger.hpp"

namespace akt::ledger {

Result<std::unique_ptr<Ledger>> open_http_ledger(const std::string& url, const OpenOptions&) {
  return make_error(ErrorKind::unreachable, "cannot open " + url + ": this akt was built without the HTTP ledger client");
}

} // namespace akt::ledger
