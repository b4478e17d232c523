#include "drivers/runtime/server_cancel.h"

namespace rpcfit::rpc {

ServerCancel on_cancel(ServerCancel s) {
  switch (s) {
    case ServerCancel::none:
      return ServerCancel::arrived;
    case ServerCancel::arrived:
    case ServerCancel::observed:
    case ServerCancel::orphaned:
    case ServerCancel::orphaned_observed:
      return s;
  }
  return s;
}

ServerCancel on_orphan(ServerCancel s) {
  switch (s) {
    case ServerCancel::none:
    case ServerCancel::arrived:
      return ServerCancel::orphaned;
    case ServerCancel::observed:
      return ServerCancel::orphaned_observed;
    case ServerCancel::orphaned:
    case ServerCancel::orphaned_observed:
      return s;
  }
  return s;
}

ServerCancel on_look(ServerCancel s) {
  switch (s) {
    case ServerCancel::arrived:
      return ServerCancel::observed;
    case ServerCancel::orphaned:
      return ServerCancel::orphaned_observed;
    case ServerCancel::none:
    case ServerCancel::observed:
    case ServerCancel::orphaned_observed:
      return s;
  }
  return s;
}

bool is_cancelled(ServerCancel s) {
  switch (s) {
    case ServerCancel::none:
      return false;
    case ServerCancel::arrived:
    case ServerCancel::observed:
    case ServerCancel::orphaned:
    case ServerCancel::orphaned_observed:
      return true;
  }
  return false;
}

bool is_observed(ServerCancel s) {
  switch (s) {
    case ServerCancel::observed:
    case ServerCancel::orphaned_observed:
      return true;
    case ServerCancel::none:
    case ServerCancel::arrived:
    case ServerCancel::orphaned:
      return false;
  }
  return false;
}

bool is_orphaned(ServerCancel s) {
  switch (s) {
    case ServerCancel::orphaned:
    case ServerCancel::orphaned_observed:
      return true;
    case ServerCancel::none:
    case ServerCancel::arrived:
    case ServerCancel::observed:
      return false;
  }
  return false;
}

}  // namespace rpcfit::rpc
