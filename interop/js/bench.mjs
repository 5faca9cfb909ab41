// Issue / verify throughput of @digitalbazaar/vc in one process (offline).
//
// usage:  node bench.mjs <request.json>
// request: {"credential": {...unsigned...}, "keyPair": {...}, "seconds": n,
//           "documents"?: {url: doc}, "purpose"?: "issuance" | "assertion",
//           "cryptosuite"?: "eddsa-rdfc-2022" (default) | "eddsa-jcs-2022"}
//   about n seconds are spent issuing, then about n seconds verifying, after a
//   short warm-up; every verification is checked to succeed.
// stdout: {"issue_per_s", "verify_per_s", "n_issue", "n_verify"} (one line).
import * as vc from '@digitalbazaar/vc';
import {readFileSync} from 'node:fs';
import {buildDocumentLoader} from './loader.mjs';
import {
  flattenErrors, makePurpose, signCredential, signingSuite, verifySuite
} from './common.mjs';

const WARMUP = 3;

async function timeLoop(budgetMs, step) {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(budgetMs * 1e6));
  let n = 0;
  let now = start;
  do {
    await step();
    n += 1;
    now = process.hrtime.bigint();
  } while(now < deadline);
  return {n, seconds: Number(now - start) / 1e9};
}

async function main() {
  const path = process.argv[2];
  if(!path) {
    throw new Error('usage: node bench.mjs <request.json>');
  }
  const request = JSON.parse(readFileSync(path, 'utf8'));
  const seconds = Number(request.seconds ?? 2);
  if(!(seconds > 0)) {
    throw new TypeError('"seconds" must be a positive number.');
  }
  const documentLoader = buildDocumentLoader({documents: request.documents});
  const suite = await signingSuite({
    keyPair: request.keyPair, cryptosuite: request.cryptosuite
  });
  const issueOnce = () => signCredential({
    credential: request.credential, suite, documentLoader
  });
  const signed = await issueOnce();
  const verifyOnce = async () => {
    const options = {credential: signed, suite: verifySuite(request.cryptosuite), documentLoader};
    const purpose = makePurpose(request.purpose);
    if(purpose !== undefined) {
      options.purpose = purpose;
    }
    const result = await vc.verifyCredential(options);
    if(!result.verified) {
      throw new Error(
        'benchmark credential does not verify: ' +
        flattenErrors(result).join('; '));
    }
  };
  for(let i = 0; i < WARMUP; i++) {
    await issueOnce();
    await verifyOnce();
  }
  const issue = await timeLoop(seconds * 1000, issueOnce);
  const verify = await timeLoop(seconds * 1000, verifyOnce);
  process.stdout.write(JSON.stringify({
    issue_per_s: issue.n / issue.seconds,
    verify_per_s: verify.n / verify.seconds,
    n_issue: issue.n,
    n_verify: verify.n
  }) + '\n');
}

main().catch(error => {
  process.stderr.write(`bench.mjs failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
