// Verifies a compact JWS that comity made, with panva/jose's `jwtVerify`, and prints what
// jose saw, so the Rust tests can show that comity's signatures are standard ones.
//
// Reads one JSON object on stdin:
//   {"jwk": {"kty":"OKP","crv":"Ed25519","x":"..."}, "jws": "..."}
// prints {"protectedHeader": {...}, "payload": {...}} on stdout, and exits with status 1
// and jose's error on stderr when the JWS does not verify.
import { importJWK, jwtVerify } from 'jose';

const input = JSON.parse(await readStdin());
const key = await importJWK(input.jwk, 'EdDSA');
try {
  const { payload, protectedHeader } = await jwtVerify(input.jws, key, { algorithms: ['EdDSA'] });
  process.stdout.write(JSON.stringify({ protectedHeader, payload }) + '\n');
} catch (error) {
  process.stderr.write(`jose refused the JWS: ${error.code ?? ''} ${error.message}\n`);
  process.exit(1);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
