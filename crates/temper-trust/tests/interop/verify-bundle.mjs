// Verifies a Sigstore bundle made with a public key, offline, with npm's
// @sigstore/verify (tests/interop.rs runs it on what temper-trust writes):
//   node verify-bundle.mjs VERIFIERS BUNDLE KEY_PEM [ARTIFACT]
// VERIFIERS is the directory scripts/trust-verifiers.sh installed into (its
// node/node_modules is where the packages are); ARTIFACT is the signed bytes
// of a message-signature bundle (a DSSE bundle carries its payload).
// The trust material is empty (no CAs, logs, CT logs or TSAs) and every
// threshold is zero: only the bundle's form, the key hint and the signature
// are checked. The hint must be the base64 SHA-256 of the key's SPKI DER,
// the form temper-trust says it writes (as cosign and sigstore-go do).
// The protobuf-specs JSON reader drops fields it does not know, so the
// bundle is also written back by @sigstore/bundle and must come out the same
// (empty arrays aside, which the canonical form omits): no misspelt or
// misplaced field, base64 and enum names in their canonical form.
// Exit 0: verified; 1: refused (the reason on stderr); 2: usage.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [verifiers, bundlePath, keyPath, artifactPath] = process.argv.slice(2);
if (!verifiers || !bundlePath || !keyPath) {
  console.error('usage: node verify-bundle.mjs VERIFIERS BUNDLE KEY_PEM [ARTIFACT]');
  process.exit(2);
}
// The packages live in the cache, not beside this script.
const require = createRequire(join(verifiers, 'node', 'package.json'));
const { bundleFromJSON, bundleToJSON } = require('@sigstore/bundle');
const { crypto } = require('@sigstore/core');
const { Verifier, toSignedEntity, toTrustMaterial, VerificationError } = require('@sigstore/verify');

// The JSON text of `value` with object keys sorted and empty arrays left out.
const canonical = (value) => JSON.stringify(value, (_, v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().filter((k) => !(Array.isArray(v[k]) && v[k].length === 0)).map((k) => [k, v[k]]));
});

try {
  const json = JSON.parse(readFileSync(bundlePath, 'utf8'));
  const bundle = bundleFromJSON(json);
  const written = canonical(bundleToJSON(bundle));
  if (written !== canonical(json)) {
    throw new Error(`not in the protobuf-specs form: read as ${written}`);
  }
  const publicKey = crypto.createPublicKey(readFileSync(keyPath, 'utf8'));
  const hint = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  const keyFinder = (h) => {
    if (h !== hint) {
      throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: `key hint ${JSON.stringify(h)} is not the key's ${hint}` });
    }
    return { publicKey, validFor: () => true };
  };
  const empty = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
  const verifier = new Verifier(toTrustMaterial(empty, keyFinder), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  const artifact = artifactPath === undefined ? undefined : readFileSync(artifactPath);
  verifier.verify(toSignedEntity(bundle, artifact));
  console.log('verified');
} catch (e) {
  const fields = e.fields ? ` (${e.fields.join(', ')})` : '';
  console.error(`${bundlePath}: ${e.code ?? e.name}: ${e.message}${fields}`);
  process.exit(1);
}
