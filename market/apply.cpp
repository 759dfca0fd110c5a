#include "market/apply.hpp"
