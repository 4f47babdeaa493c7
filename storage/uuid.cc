#include "storage/uuid.h"

#include <chrono>
#include <cstdint>
#include <mutex>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"

namespace lmdbapi::storage {
namespace {

// The 48-bit millisecond clock plus the 12-bit rand_a used as a counter
// (RFC 9562 §6.2, method 1): monotonic even when the clock stalls or steps
// back.
struct Clock {
  std::mutex mu;
  uint64_t last_ms = 0;
  uint32_t counter = 0;
  absl::BitGen bits;
};

Clock& TheClock() {
  static Clock* clock = new Clock;
  return *clock;
}

}  // namespace

std::string NewUuidV7(std::optional<uint8_t> tag) {
  Clock& clock = TheClock();
  uint64_t ms, rand_b;
  uint32_t counter;
  {
    std::lock_guard<std::mutex> lock(clock.mu);
    uint64_t now = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    if (now > clock.last_ms) {
      clock.last_ms = now;
      clock.counter = absl::Uniform<uint32_t>(clock.bits, 0, 0x800);
    } else if (++clock.counter > 0xFFF) {
      ++clock.last_ms;  // borrow from the next millisecond
      clock.counter = 0;
    }
    ms = clock.last_ms;
    counter = clock.counter;
    rand_b = absl::Uniform<uint64_t>(clock.bits);
  }
  uint8_t b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | (counter >> 8));
  b[7] = static_cast<uint8_t>(counter);
  b[8] = static_cast<uint8_t>(0x80 | ((rand_b >> 56) & 0x3F));
  for (int i = 9; i < 16; ++i)
    b[i] = static_cast<uint8_t>(rand_b >> (8 * (15 - i)));
  if (tag.has_value()) b[15] = *tag;

  // Written into a buffer, then copied once: appending 36 characters one
  // by one to a string cost more than the rest of this function.
  static constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  char* out = text;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *out++ = '-';
    *out++ = kHex[b[i] >> 4];
    *out++ = kHex[b[i] & 0xF];
  }
  return std::string(text, sizeof text);
}

bool IsCanonicalUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                   (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::optional<uint8_t> UuidTag(absl::string_view text) {
  uint32_t tag;
  if (!IsCanonicalUuid(text) || !absl::SimpleHexAtoi(text.substr(34), &tag)) {
    return std::nullopt;
  }
  return static_cast<uint8_t>(tag);
}

}  // namespace lmdbapi::storage
