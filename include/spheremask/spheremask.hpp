// Umbrella header of the C++ API.
#pragma once
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander.hpp"
#include "spheremask/keys.hpp"
#include "spheremask/multi_sample.hpp"
#include "spheremask/params.hpp"
#include "spheremask/record.hpp"
#include "spheremask/store.hpp"
