#include <gtest/gtest.h>

#include "drivers/runtime/runtime_test_util.h"

TEST(Concurrency, Placeholder) {}
