// A word for a POSIX shell command line, as people copy it: the replay line of a run, the agent
// command an error names.
#pragma once

#include <string>
#include <string_view>

namespace rpcfit {

// `word` as one shell word: as it is when it holds only safe characters, else single-quoted.
std::string shell_word(std::string_view word);

}  // namespace rpcfit
