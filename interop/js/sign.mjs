// Signs credentials with DataIntegrityProof (eddsa-rdfc-2022 or eddsa-jcs-2022), offline.
//
// stdin:  {"credential": {...unsigned...},
//          "keyPair": {"publicKeyMultibase": "z6Mk...",
//                      "secretKeyMultibase": "z3u2..."},
//          "verificationMethod"?: string   (default did:key:<pub>#<pub>),
//          "controller"?: string           (default did:key:<pub>),
//          "created"?: ISO 8601,
//          "cryptosuite"?: "eddsa-rdfc-2022" (default) | "eddsa-jcs-2022",
//          "documents"?: {url: doc}}
//         or {"batch": [request, ...]} to sign several in one process.
// stdout: the signed credential (JSON, one line); for a batch, an array of them.
import {buildDocumentLoader} from './loader.mjs';
import {readStdinJson, signCredential, signingSuite} from './common.mjs';

async function signOne(request) {
  const suite = await signingSuite({
    keyPair: request.keyPair,
    verificationMethod: request.verificationMethod,
    controller: request.controller,
    created: request.created,
    cryptosuite: request.cryptosuite
  });
  const documentLoader = buildDocumentLoader({documents: request.documents});
  return signCredential({
    credential: request.credential, suite, documentLoader
  });
}

async function main() {
  const request = await readStdinJson();
  let output;
  if(Array.isArray(request.batch)) {
    output = [];
    for(const item of request.batch) {
      output.push(await signOne(item));
    }
  } else {
    output = await signOne(request);
  }
  process.stdout.write(JSON.stringify(output) + '\n');
}

main().catch(error => {
  process.stderr.write(`sign.mjs failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
