#include "market/events.hpp"
