/* zlib from bookworm's zlib1g-dev (through cc_deb_library): the header's version is the
 * library's (statically linked: the package's own libz.a), and data survives a round trip.
 * With -DSHARED the library is the one the system loads for libz.so.1, which zlib's manual
 * requires only to agree with the header on the first digit. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(void) {
    const char *linked = zlibVersion();
    printf("ZLIB_VERSION %s, zlibVersion() %s\n", ZLIB_VERSION, linked);
#ifdef SHARED
    if (linked[0] != ZLIB_VERSION[0]) return 1;
#else
    if (strcmp(linked, ZLIB_VERSION) != 0) return 1;
#endif
    const char text[] = "distroless distroless distroless distroless distroless";
    uLong bound = compressBound(sizeof text);
    if (bound < sizeof text) return 2;
    Bytef packed[256], unpacked[sizeof text];
    uLongf packed_len = sizeof packed, unpacked_len = sizeof unpacked;
    if (bound > sizeof packed) return 3;
    if (compress(packed, &packed_len, (const Bytef *)text, sizeof text) != Z_OK) return 4;
    if (uncompress(unpacked, &unpacked_len, packed, packed_len) != Z_OK) return 5;
    if (unpacked_len != sizeof text || memcmp(unpacked, text, sizeof text) != 0) return 6;
    printf("compressBound(%zu) = %lu; %zu bytes -> %lu -> %lu, identical\n", sizeof text, bound,
           sizeof text, packed_len, unpacked_len);
    return 0;
}
