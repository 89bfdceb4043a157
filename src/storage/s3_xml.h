// The few S3 XML documents we read and write, handled by a minimal scanner: S3 answers are
// machine-generated, flat, attribute-free where we look, so a full XML parser buys nothing.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mm::s3xml {

// The inner text of every <tag>...</tag> in `xml`, in order (not unescaped).
std::vector<std::string_view> FindAll(std::string_view xml, std::string_view tag);
// The first one, unescaped; nullopt if absent.
std::optional<std::string> FindFirst(std::string_view xml, std::string_view tag);

std::string Unescape(std::string_view text);  // &amp; &lt; &gt; &quot; &apos; &#N; &#xN;
std::string Escape(std::string_view text);

// <Error><Code>..</Code><Message>..</Message></Error>; empty strings when absent.
struct ErrorBody {
  std::string code;
  std::string message;
};
ErrorBody ParseError(std::string_view body);

// One ListObjectsV2 page.
struct ListPage {
  std::vector<std::pair<std::string, uint64_t>> objects;  // key, size
  bool truncated = false;
  std::string next_token;
};
// DataLoss if a <Contents> lacks a key or has a bad size, or a truncated page has no token.
Result<ListPage> ParseListObjectsV2(std::string_view body);

// One ListMultipartUploads page: the uploads begun and neither completed nor aborted.
struct UploadsPage {
  std::vector<std::pair<std::string, std::string>> uploads;  // key, upload id
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
// DataLoss if an <Upload> lacks its key or id, or a truncated page has no markers.
Result<UploadsPage> ParseListMultipartUploads(std::string_view body);

// The CompleteMultipartUpload request body. `parts`: (part number, ETag), any order.
std::string CompleteMultipartBody(std::vector<std::pair<int, std::string>> parts);
// The DeleteObjects request body, quiet mode (only failures are reported back).
std::string DeleteObjectsBody(const std::vector<std::string>& keys);

}  // namespace mm::s3xml
