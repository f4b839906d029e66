/* OpenSSL from bookworm's libssl-dev (through cc_deb_library), statically linked: headers from
 * /usr/include and the multiarch /usr/include/x86_64-linux-gnu (openssl/configuration.h,
 * which the others include), libssl.a and libcrypto.a. The library's version is the header's,
 * SHA-256 of "abc" is FIPS 180-2's test vector, and a TLS context can be made. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>

int main(void) {
    printf("OPENSSL_VERSION_TEXT %s, OpenSSL_version() %s\n", OPENSSL_VERSION_TEXT,
           OpenSSL_version(OPENSSL_VERSION));
    if (OpenSSL_version_num() != OPENSSL_VERSION_NUMBER) return 1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest("abc", 3, md, &len, EVP_sha256(), NULL) || len != 32) return 2;
    static const unsigned char expected[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    if (memcmp(md, expected, 32) != 0) return 3;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) return 4;
    SSL_CTX_free(ctx);
    printf("SHA-256(\"abc\") as FIPS 180-2, TLS client context made\n");
    return 0;
}
