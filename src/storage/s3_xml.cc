#include "storage/s3_xml.h"

#include <algorithm>
#include <charconv>

namespace mm::s3xml {
namespace {

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::vector<std::string_view> FindAll(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t start = xml.find(open, pos);
    if (start == std::string_view::npos) break;
    start += open.size();
    size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(start, end - start));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> FindFirst(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return std::nullopt;
  return Unescape(xml.substr(start, end - start));
}

std::string Unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || ptr != digits.data() + digits.size() || cp > 0x10FFFF) {
        out.append(text.substr(i, semi - i + 1));
      } else {
        AppendUtf8(cp, out);
      }
    } else {
      out.append(text.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

ErrorBody ParseError(std::string_view body) {
  ErrorBody out;
  out.code = FindFirst(body, "Code").value_or("");
  out.message = FindFirst(body, "Message").value_or("");
  return out;
}

Result<ListPage> ParseListObjectsV2(std::string_view body) {
  ListPage page;
  for (std::string_view contents : FindAll(body, "Contents")) {
    std::optional<std::string> key = FindFirst(contents, "Key");
    std::optional<std::string> size = FindFirst(contents, "Size");
    if (!key) {
      return absl::DataLossError(
          StrCat("S3 list answer has an object without <Key>: ", contents.substr(0, 200)));
    }
    uint64_t n = 0;
    if (size) {
      auto [ptr, ec] = std::from_chars(size->data(), size->data() + size->size(), n);
      if (ec != std::errc() || ptr != size->data() + size->size()) {
        return absl::DataLossError(
            StrCat("S3 list answer has a bad <Size> '", *size, "' for key '", *key, "'"));
      }
    }
    page.objects.emplace_back(std::move(*key), n);
  }
  page.truncated = FindFirst(body, "IsTruncated").value_or("false") == "true";
  page.next_token = FindFirst(body, "NextContinuationToken").value_or("");
  if (page.truncated && page.next_token.empty()) {
    return absl::DataLossError("S3 list answer is truncated but has no NextContinuationToken");
  }
  return page;
}

Result<UploadsPage> ParseListMultipartUploads(std::string_view body) {
  UploadsPage page;
  for (std::string_view upload : FindAll(body, "Upload")) {
    std::optional<std::string> key = FindFirst(upload, "Key");
    std::optional<std::string> id = FindFirst(upload, "UploadId");
    if (!key || !id || id->empty()) {
      return absl::DataLossError(StrCat(
          "S3 multipart upload list has an upload without <Key> or <UploadId>: ",
          upload.substr(0, 200)));
    }
    page.uploads.emplace_back(std::move(*key), std::move(*id));
  }
  page.truncated = FindFirst(body, "IsTruncated").value_or("false") == "true";
  page.next_key_marker = FindFirst(body, "NextKeyMarker").value_or("");
  page.next_upload_id_marker = FindFirst(body, "NextUploadIdMarker").value_or("");
  if (page.truncated && page.next_key_marker.empty() && page.next_upload_id_marker.empty()) {
    return absl::DataLossError("S3 multipart upload list is truncated but has no next markers");
  }
  return page;
}

std::string CompleteMultipartBody(std::vector<std::pair<int, std::string>> parts) {
  std::sort(parts.begin(), parts.end());
  std::string out = "<CompleteMultipartUpload>";
  for (const auto& [number, etag] : parts) {
    out += StrCat("<Part><PartNumber>", number, "</PartNumber><ETag>", Escape(etag),
                  "</ETag></Part>");
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string DeleteObjectsBody(const std::vector<std::string>& keys) {
  std::string out = "<Delete><Quiet>true</Quiet>";
  for (const std::string& key : keys) out += StrCat("<Object><Key>", Escape(key), "</Key></Object>");
  out += "</Delete>";
  return out;
}

}  // namespace mm::s3xml
