#include "sy/config/config.hpp"
