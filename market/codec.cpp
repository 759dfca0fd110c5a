#include "market/codec.hpp"
