// Turns the two layers of errors a Milvus RPC can return into one mm::Status:
//  - the gRPC transport status (unreachable server, deadline, bad credentials), and
//  - Milvus' own common.Status in the response: `error_code` (the deprecated enum, the only
//    field on 2.2) and `code` (merr codes, 2.3+). Success is both being 0.
// Pure functions over plain values so they are testable without generated code or a server.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace mm {

// What a failed call was about, so messages name it.
struct RpcContext {
  std::string_view endpoint;  // "host:port"
  std::string_view rpc;       // "CreateCollection"
  std::string_view subject;   // "collection 'books'"; may be empty
  std::string_view user;      // the authenticating user; may be empty. Never a password.
};

// Maps Milvus' status. `code` wins when non-zero (2.3+); otherwise `error_code` (2.2). A
// vague code (UnexpectedError, 65535, ...) is refined from the reason text ("already exist"
// or "duplicate collection" -> AlreadyExists, "not exist"/"not found" -> NotFound,
// "invalid"/"illegal" -> InvalidArgument): 2.3 still answers many errors with 65535.
// `retriable` is Milvus' own hint (2.3+).
Status MilvusStatusToStatus(int32_t error_code, int32_t code, std::string_view reason,
                            bool retriable, const RpcContext& ctx);

// Maps a non-OK gRPC status (`grpc_code` is a grpc::StatusCode value, which equals the
// absl::StatusCode value). UNAVAILABLE and DEADLINE_EXCEEDED become Unavailable naming the
// endpoint; UNAUTHENTICATED/PERMISSION_DENIED name the user.
Status GrpcStatusToStatus(int grpc_code, std::string_view message, const RpcContext& ctx);

}  // namespace mm
