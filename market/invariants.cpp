#include "market/invariants.hpp"
