// Signs comity submission claims with panva/jose, the way an authority's own software
// would: `new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).sign(key)`.
//
// Reads one JSON object on stdin, so the private key never shows in a process list:
//   {"jwk": {"kty":"OKP","crv":"Ed25519","x":"...","d":"..."}, "kid": "...", "claims": {...}}
// and prints the compact JWS (RFC 7515 §7.1) on stdout. An optional "alg" member chooses
// the header's alg: "EdDSA" (RFC 8037, the default) or "Ed25519" (RFC 9864).
//
//   npm ci --prefix crates/comity-auth/tests/interop
//   echo '{"jwk":...,"kid":"...","claims":{...}}' | node crates/comity-auth/tests/interop/sign.mjs
import { SignJWT, importJWK } from 'jose';

const input = JSON.parse(await readStdin());
const alg = input.alg ?? 'EdDSA';
const key = await importJWK(input.jwk, alg);
const jws = await new SignJWT(input.claims)
  .setProtectedHeader({ alg, kid: input.kid })
  .sign(key);
process.stdout.write(jws + '\n');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
