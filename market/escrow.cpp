#include "market/escrow.hpp"
