#include "market/state.hpp"
