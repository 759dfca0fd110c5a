#include "market/rank.hpp"
