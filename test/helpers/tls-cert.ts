// A self-signed RSA certificate for 127.0.0.1, made at test time (test/server-tls.test.ts,
// test/target/https.test.ts). RSA because Espruino's mbedtls offers no ECDSA suites.
import { generate } from "selfsigned";

export interface TestCert {
  key: string;
  cert: string;
}

let made: Promise<TestCert> | undefined;

/** One certificate per test process (RSA 2048 takes a moment to generate). */
export function testCert(): Promise<TestCert> {
  made ??= generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  }).then((r) => ({ key: r.private, cert: r.cert }));
  return made;
}
