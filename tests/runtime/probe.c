/*
 * A probe run inside the images by tests/runtime/run. It checks, from inside the container,
 * what an application relies on and prints one "ok: ..." line per check; any failure prints
 * "FAIL: ..." and exits 1.
 *
 *   probe [--uid N] [--user NAME] [--writable DIR] [--readonly DIR]
 *         [--tls HOST:PORT --extra-ca FILE] [--zoneinfo]
 *
 * Built three ways: static (for the static image: no libc in it, so /etc/passwd is parsed
 * here and getpwuid's NSS modules are not used), dynamic against libc only (base-nossl), and
 * dynamic with OpenSSL (base, cc). NO_TLS drops the OpenSSL part.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifndef STATIC_PROBE
#include <pwd.h>
#endif
#ifndef NO_TLS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#endif

static int failures;

static void check(int ok, const char *what, const char *detail) {
    printf("%s: %s%s%s\n", ok ? "ok" : "FAIL", what, detail[0] ? ": " : "", detail);
    if (!ok)
        failures++;
}

/* The user name of uid, from /etc/passwd. */
static int user_name(uid_t uid, char *name, size_t size) {
#ifdef STATIC_PROBE
    FILE *f = fopen("/etc/passwd", "r");
    char line[512];
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        char *fields[4] = {line};
        int n = 1;
        for (char *p = line; *p && n < 4; p++)
            if (*p == ':') {
                *p = '\0';
                fields[n++] = p + 1;
            }
        if (n == 4 && (uid_t)strtoul(fields[2], NULL, 10) == uid) {
            snprintf(name, size, "%s", fields[0]);
            fclose(f);
            return 0;
        }
    }
    fclose(f);
    return -1;
#else
    /* Through glibc's NSS, as configured by the image's /etc/nsswitch.conf. */
    struct passwd *pw = getpwuid(uid);
    if (!pw)
        return -1;
    snprintf(name, size, "%s", pw->pw_name);
    return 0;
#endif
}

static void check_identity(long want_uid, const char *want_user) {
    char detail[256], name[128] = "";
    uid_t uid = getuid();
    int found = user_name(uid, name, sizeof name) == 0;
    snprintf(detail, sizeof detail, "uid %u (want %ld)", (unsigned)uid, want_uid);
    check(want_uid < 0 || (long)uid == want_uid, "uid", detail);
    snprintf(detail, sizeof detail, "uid %u is \"%s\" (want \"%s\")", (unsigned)uid,
             found ? name : "<not in /etc/passwd>", want_user ? want_user : "any");
    check(found && (!want_user || strcmp(name, want_user) == 0), "user name", detail);
}

/* Creates and removes a file in dir; returns 0 or errno. */
static int try_write(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/.probe-%d", dir, (int)getpid());
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0)
        return errno;
    close(fd);
    unlink(path);
    return 0;
}

static void check_zoneinfo(void) {
    char detail[256];
    const char *zone = "/usr/share/zoneinfo/Asia/Tokyo";
    char magic[4] = {0};
    FILE *f = fopen(zone, "rb");
    int read_ok = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    if (f)
        fclose(f);
    check(read_ok, "zoneinfo file", zone);
    /* glibc reads the zone file itself, so the offset proves the data is usable. */
    setenv("TZ", ":Asia/Tokyo", 1);
    tzset();
    time_t t = 1700000000;
    struct tm tm;
    localtime_r(&t, &tm);
    snprintf(detail, sizeof detail, "Asia/Tokyo offset %ld s (want 32400)", (long)tm.tm_gmtoff);
    check(tm.tm_gmtoff == 32400, "zoneinfo offset", detail);
}

#ifndef NO_TLS
/* One TLS handshake with host:port, verifying the peer against store's CAs and the IP. */
static int handshake(const char *ip, int port, X509_STORE *store, char *err, size_t size) {
    int rc = -1;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &addr.sin_addr);
    if (!ctx || fd < 0) {
        snprintf(err, size, "setup failed");
        goto out;
    }
    X509_STORE_up_ref(store);
    SSL_CTX_set_cert_store(ctx, store);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        snprintf(err, size, "connect %s:%d: %s", ip, port, strerror(errno));
        goto out;
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip);
    if (SSL_connect(ssl) != 1) {
        long v = SSL_get_verify_result(ssl);
        snprintf(err, size, "handshake failed: %s",
                 v != X509_V_OK ? X509_verify_cert_error_string(v)
                                : ERR_reason_error_string(ERR_get_error()));
        goto out;
    }
    snprintf(err, size, "%s with %s", SSL_get_version(ssl), SSL_get_cipher(ssl));
    rc = 0;
out:
    if (ssl)
        SSL_free(ssl);
    if (ctx)
        SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    return rc;
}

static void check_tls(const char *target, const char *extra_ca) {
    char detail[512], ip[64];
    int port;
    const char *bundle = getenv("SSL_CERT_FILE");
    if (sscanf(target, "%63[^:]:%d", ip, &port) != 2) {
        check(0, "tls", "--tls wants IP:PORT");
        return;
    }
    check(bundle != NULL, "SSL_CERT_FILE set", bundle ? bundle : "");
    if (!bundle)
        return;
    X509_STORE *store = X509_STORE_new();
    int loaded = X509_STORE_load_file(store, bundle);
    int count = sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
    snprintf(detail, sizeof detail, "%s: %d certificates", bundle, count);
    check(loaded == 1 && count >= 100, "CA bundle", detail);

    /* The test server's CA is not in the bundle: the handshake must be refused first. */
    int rc = handshake(ip, port, store, detail, sizeof detail);
    check(rc != 0, "tls refused without the test CA", detail);
    check(X509_STORE_load_file(store, extra_ca) == 1, "test CA added", extra_ca);
    rc = handshake(ip, port, store, detail, sizeof detail);
    check(rc == 0, "tls handshake", detail);
    X509_STORE_free(store);
}
#endif

int main(int argc, char **argv) {
    long want_uid = -1;
    const char *want_user = NULL, *tls = NULL, *extra_ca = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        char detail[4200];
        if (strcmp(arg, "--zoneinfo") == 0) {
            check_zoneinfo();
            continue;
        }
        if (!value) {
            fprintf(stderr, "probe: %s needs a value\n", arg);
            return 2;
        }
        i++;
        if (strcmp(arg, "--uid") == 0) {
            want_uid = strtol(value, NULL, 10);
        } else if (strcmp(arg, "--user") == 0) {
            want_user = value;
        } else if (strcmp(arg, "--writable") == 0) {
            int e = try_write(value);
            snprintf(detail, sizeof detail, "%s%s%s", value, e ? ": " : "", e ? strerror(e) : "");
            check(e == 0, "writable", detail);
        } else if (strcmp(arg, "--readonly") == 0) {
            int e = try_write(value);
            snprintf(detail, sizeof detail, "%s: %s", value, e ? strerror(e) : "write succeeded");
            check(e == EROFS || e == EACCES, "not writable", detail);
        } else if (strcmp(arg, "--tls") == 0) {
            tls = value;
        } else if (strcmp(arg, "--extra-ca") == 0) {
            extra_ca = value;
        } else {
            fprintf(stderr, "probe: unknown argument %s\n", arg);
            return 2;
        }
    }
    check_identity(want_uid, want_user);
#ifndef NO_TLS
    if (tls)
        check_tls(tls, extra_ca ? extra_ca : "");
#else
    if (tls)
        check(0, "tls", "this probe was built without TLS");
#endif
    return failures ? 1 : 0;
}
