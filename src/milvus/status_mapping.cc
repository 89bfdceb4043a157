#include "milvus/status_mapping.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace mm {
namespace {

using absl::StatusCode;

bool Contains(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

// merr codes (milvus pkg/util/merr/errors.go, 2.3+).
StatusCode FromMerrCode(int32_t code, bool retriable) {
  switch (code) {
    case 1:     // service not ready
    case 2:     // service unavailable
    case 11:    // time tick long delay
    case 12:    // service resource insufficient
    case 103:   // collection not fully loaded
    case 106:   // collection on recovering
    case 202:   // partition not fully loaded
    case 401:   // replica not available
    case 503:   // channel not available
    case 902:   // node offline
    case 905:   // node not available
    case 1002:  // unexpected EOF
      return StatusCode::kUnavailable;
    case 3:     // memory limit exceeded
    case 4:     // request limit exceeded
    case 7:     // disk limit exceeded
    case 8:     // rate limit exceeded
    case 9:     // quota exceeded
    case 250:   // general capacity exceeded
    case 1807:  // http rate limit
      return StatusCode::kResourceExhausted;
    case 5:  // internal
      return StatusCode::kInternal;
    case 10:    // unimplemented
    case 3000:  // unsupported operation
      return StatusCode::kUnimplemented;
    case 100:   // collection not found
    case 200:   // partition not found
    case 300:   // resource group not found
    case 400:   // replica not found
    case 500:   // channel not found
    case 600:   // segment not found
    case 700:   // index not found
    case 800:   // database not found
    case 901:   // node not found
    case 1000:  // io key not found
    case 1200:  // metric not found
    case 1300:  // topic not found
    case 1600:  // alias not found
    case 1603:  // collection of alias not found
    case 1700:  // field not found
      return StatusCode::kNotFound;
    case 104:   // collection already loaded
    case 301:   // resource group already exists
    case 702:   // index duplicates
    case 1601:  // alias/collection name conflict
    case 1602:  // alias already exists
      return StatusCode::kAlreadyExists;
    case 101:  // collection not loaded
    case 102:  // too many collections
    case 201:  // partition not loaded
    case 801:  // too many databases
      return StatusCode::kFailedPrecondition;
    case 105:   // illegal collection schema
    case 107:   // vector clustering key not allowed
    case 701:   // index type not supported
    case 802:   // invalid database name
    case 1100:  // invalid parameter
    case 1101:  // missing parameter
    case 1102:  // parameter too large
    case 1701:  // invalid field name
    case 1801:
    case 1802:
    case 1804:
    case 1806:
      return StatusCode::kInvalidArgument;
    case 1400:  // not authenticated
    case 1800:  // need authenticate
      return StatusCode::kUnauthenticated;
    case 1401:  // privilege not permitted
      return StatusCode::kPermissionDenied;
    case 2100:  // import failed
      return StatusCode::kAborted;
    default:
      return retriable ? StatusCode::kUnavailable : StatusCode::kUnknown;
  }
}

// The deprecated common.ErrorCode enum, all 2.2 has.
StatusCode FromLegacyErrorCode(int32_t error_code) {
  switch (error_code) {
    case 2:    // ConnectFailed
    case 45:   // NotShardLeader
    case 46:   // NoReplicaAvailable
    case 55:   // TimeTickLongDelay
    case 56:   // NotReadyServe
    case 57:   // NotReadyCoordActivating
    case 100:  // DataCoordNA
      return StatusCode::kUnavailable;
    case 3:   // PermissionDenied
    case 48:  // ForceDeny
      return StatusCode::kPermissionDenied;
    case 4:   // CollectionNotExists
    case 14:  // FileNotFound
    case 25:  // IndexNotExist
    case 28:  // CollectionNameNotFound
    case 47:  // SegmentNotFound
      return StatusCode::kNotFound;
    case 5:   // IllegalArgument
    case 7:   // IllegalDimension
    case 8:   // IllegalIndexType
    case 9:   // IllegalCollectionName
    case 10:  // IllegalTOPK
    case 11:  // IllegalRowRecord
    case 12:  // IllegalVectorID
    case 22:  // IllegalNLIST
    case 23:  // IllegalMetricType
    case 51:  // UpsertAutoIDTrue
    case 62:  // SchemaMismatch
      return StatusCode::kInvalidArgument;
    case 24:  // OutOfMemory
    case 49:  // RateLimit
    case 52:  // InsufficientMemoryToLoad
    case 53:  // MemoryQuotaExhausted
    case 54:  // DiskQuotaExhausted
      return StatusCode::kResourceExhausted;
    case 26:  // EmptyCollection
      return StatusCode::kFailedPrecondition;
    case 1000:  // DDRequestRace
      return StatusCode::kAborted;
    default:
      return StatusCode::kUnknown;
  }
}

// Vague codes carry the real cause only in the text.
StatusCode RefineFromReason(StatusCode code, std::string_view reason) {
  if (code != StatusCode::kUnknown && code != StatusCode::kInternal &&
      code != StatusCode::kInvalidArgument) {
    return code;
  }
  if (Contains(reason, "already exist") || Contains(reason, "duplicate collection")) {
    return StatusCode::kAlreadyExists;
  }
  if (Contains(reason, "not exist") || Contains(reason, "non-exist") ||
      Contains(reason, "not found") || Contains(reason, "can't find") ||
      Contains(reason, "cannot find")) {
    return StatusCode::kNotFound;
  }
  if (Contains(reason, "invalid") || Contains(reason, "illegal")) {
    return StatusCode::kInvalidArgument;
  }
  return code;
}

std::string Describe(const RpcContext& ctx) {
  std::string out = StrCat("milvus ", ctx.endpoint, ": ", ctx.rpc);
  if (!ctx.subject.empty()) out += StrCat(" ", ctx.subject);
  return out;
}

}  // namespace

Status MilvusStatusToStatus(int32_t error_code, int32_t code, std::string_view reason,
                            bool retriable, const RpcContext& ctx) {
  if (error_code == 0 && code == 0) return absl::OkStatus();
  StatusCode mapped = code != 0 ? FromMerrCode(code, retriable) : FromLegacyErrorCode(error_code);
  mapped = RefineFromReason(mapped, reason);
  std::string msg = StrCat(Describe(ctx), " failed: ",
                           reason.empty() ? std::string_view("(no reason given)") : reason);
  msg += code != 0 ? StrCat(" (code ", code, ")") : StrCat(" (error_code ", error_code, ")");
  if (mapped == StatusCode::kUnauthenticated || mapped == StatusCode::kPermissionDenied) {
    msg += StrCat(" for user '", ctx.user.empty() ? std::string_view("(none)") : ctx.user, "'");
  }
  return Status(mapped, msg);
}

Status GrpcStatusToStatus(int grpc_code, std::string_view message, const RpcContext& ctx) {
  auto code = static_cast<StatusCode>(grpc_code);
  std::string user = ctx.user.empty() ? std::string("(no credentials)")
                                      : StrCat("'", ctx.user, "'");
  switch (code) {
    case StatusCode::kOk:
      return absl::OkStatus();
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return absl::UnavailableError(
          StrCat(Describe(ctx), ": server unreachable at ", ctx.endpoint, " (",
                 code == StatusCode::kDeadlineExceeded ? "deadline exceeded" : "unavailable",
                 ": ", message, ")"));
    case StatusCode::kUnauthenticated:
      return absl::UnauthenticatedError(StrCat(Describe(ctx), ": authentication failed for user ",
                                               user, ": ", message));
    case StatusCode::kPermissionDenied:
      return absl::PermissionDeniedError(
          StrCat(Describe(ctx), ": permission denied for user ", user, ": ", message));
    case StatusCode::kUnimplemented:
      return absl::UnimplementedError(
          StrCat(Describe(ctx), ": the server does not implement this call: ", message));
    case StatusCode::kResourceExhausted:
      // Usually a message over the size limit: retrying the same request cannot help.
      if (Contains(message, "larger than max") || Contains(message, "message size")) {
        return absl::InvalidArgumentError(
            StrCat(Describe(ctx), ": request or response too large: ", message));
      }
      return absl::ResourceExhaustedError(StrCat(Describe(ctx), ": ", message));
    default:
      return Status(code, StrCat(Describe(ctx), ": ", message));
  }
}

}  // namespace mm
