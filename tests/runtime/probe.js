// Run by tests/runtime/run in the nodejs images: node <this> PORT CA_FILE
// Prints one "ok: ..." line per check; any failure exits non-zero with "FAIL".
const fs = require("fs");
const tls = require("tls");
const crypto = require("crypto");

const [port, caFile] = process.argv.slice(2);
const fail = (what) => {
  console.log("FAIL: " + what);
  process.exit(1);
};

console.log("ok: node " + process.version + " uid " + process.getuid());
if (crypto.createHash("sha256").update("abc").digest("hex").slice(0, 8) !== "ba7816bf") {
  fail("sha256");
}
console.log("ok: crypto sha256");
// Full ICU (libicu76) and the zoneinfo files: 1970-01-01 00:00 UTC is 01:00 in Berlin.
const berlin = new Intl.DateTimeFormat("de-DE", { timeZone: "Europe/Berlin", hour: "2-digit" }).format(0);
if (!berlin.startsWith("01")) fail("Intl time zone: " + berlin);
console.log("ok: Intl + time zone " + berlin);

const socket = tls.connect(
  { host: "127.0.0.1", port: Number(port), ca: fs.readFileSync(caFile) },
  () => {
    if (!socket.authorized) fail("tls not authorized: " + socket.authorizationError);
    console.log("ok: tls handshake " + socket.getProtocol());
    socket.end();
  },
);
socket.on("error", (e) => fail("tls: " + e.message));
