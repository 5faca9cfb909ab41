// Signs one credential with DataIntegrityProof + eddsa-rdfc-2022 (offline).
//
// stdin:  {"credential": {...unsigned...},
//          "keyPair": {"publicKeyMultibase": "z6Mk...",
//                      "secretKeyMultibase": "z3u2..."},
//          "verificationMethod"?: string   (default did:key:<pub>#<pub>),
//          "controller"?: string           (default did:key:<pub>),
//          "created"?: ISO 8601,
//          "documents"?: {url: doc}}
// stdout: the signed credential (JSON, one line).
import {buildDocumentLoader} from './loader.mjs';
import {readStdinJson, signCredential, signingSuite} from './common.mjs';

async function main() {
  const request = await readStdinJson();
  const suite = await signingSuite({
    keyPair: request.keyPair,
    verificationMethod: request.verificationMethod,
    controller: request.controller,
    created: request.created
  });
  const documentLoader = buildDocumentLoader({documents: request.documents});
  const signed = await signCredential({
    credential: request.credential, suite, documentLoader
  });
  process.stdout.write(JSON.stringify(signed) + '\n');
}

main().catch(error => {
  process.stderr.write(`sign.mjs failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
