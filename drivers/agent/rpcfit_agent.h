// rpcfit's own runtime behind the agent protocol (PROTOCOL.md), client role: what `rpcfit agent`
// runs. It is the reference for the protocol (an agent in any runtime does what this one does)
// and the check of the agent path itself: the suite through it must give the in-process
// driver's verdicts.
//
// Threads, as the protocol has them: the reader (this function's caller) reads requests and
// hands each to the thread that runs it: a named thread (start_thread) for call,
// set_cancel_timeout and begin_async, the timeline thread for the cancel API and the handles,
// the control thread for end_calls and shutdown; bind, hello and clock run on the reader.
// Answers and events are written one line at a time, whichever thread finishes first.
#pragma once

#include <iosfwd>

namespace rpcfit::agent {

// Serves one session: requests from `in`, answers and events to `out`, a log line per trouble
// to `log`. Returns when shutdown was answered or `in` ended: 0, or 2 when `in` ended without a
// shutdown. Threads still in a call nothing could end are left running (the process should
// exit without waiting for them: _Exit).
int serve_agent(std::istream& in, std::ostream& out, std::ostream& log);

}  // namespace rpcfit::agent
