// Verifies credentials with @digitalbazaar/vc, fully offline.
//
// stdin:  {"credential": {...}, "documents"?: {url: doc}, "purpose"?:
//          "issuance" | "assertion", "now"?: ISO 8601}
//         or {"batch": [request, ...]} to verify several in one process.
// stdout: {"verified": bool, "errors": [string, ...], "status"?: [...]}
//   (for a batch, an array of these, in request order).
//   "status" is present when the credential carries credentialStatus and the
//   status check ran: one {"purpose", "status", "verified"} per entry
//   (status true = bit set, e.g. revoked).
// Exit 0 whenever verification ran (verified or not); 1 if the harness broke.
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {buildDocumentLoader} from './loader.mjs';
import {
  flattenErrors, makePurpose, readStdinJson, verifySuite
} from './common.mjs';

async function verifyOne(request) {
  const documentLoader = buildDocumentLoader({documents: request.documents});
  const options = {
    credential: request.credential,
    // both EdDSA suites, so a credential signed with either verifies
    suite: [verifySuite('eddsa-rdfc-2022'), verifySuite('eddsa-jcs-2022')],
    documentLoader,
    checkStatus
  };
  const purpose = makePurpose(request.purpose);
  if(purpose !== undefined) {
    options.purpose = purpose;
  }
  if(request.now !== undefined) {
    options.now = request.now;
  }
  const result = await vc.verifyCredential(options);
  const output = {
    verified: result.verified === true,
    errors: flattenErrors(result)
  };
  if(result.statusResult?.results) {
    output.status = result.statusResult.results.map(r => ({
      purpose: r.credentialStatus?.statusPurpose ?? null,
      status: r.status ?? null,
      verified: r.verified === true
    }));
  }
  return output;
}

async function main() {
  const request = await readStdinJson();
  let output;
  if(Array.isArray(request.batch)) {
    output = [];
    for(const item of request.batch) {
      output.push(await verifyOne(item));
    }
  } else {
    output = await verifyOne(request);
  }
  process.stdout.write(JSON.stringify(output) + '\n');
}

main().catch(error => {
  process.stderr.write(`verify.mjs failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
