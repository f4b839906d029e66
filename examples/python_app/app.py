"""A Python app on //python3:debian12_nonroot: the standard library's TLS, JSON and SQLite."""

import json
import os
import pwd
import sqlite3
import ssl
import sys

db = sqlite3.connect(":memory:")
db.execute("create table greeting (text)")
db.execute("insert into greeting values ('hello from a distroless python image')")
(greeting,) = db.execute("select text from greeting").fetchone()
print(json.dumps({
    "greeting": greeting,
    "python": sys.version.split()[0],
    "user": pwd.getpwuid(os.getuid()).pw_name,
    "openssl": ssl.OPENSSL_VERSION,
    "cert_store_stats": ssl.create_default_context().cert_store_stats(),
    "sqlite": sqlite3.sqlite_version,
}, sort_keys=True))
