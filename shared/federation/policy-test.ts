import {
  policyChecks,
  CheckFailed,
  checkAlgorithm,
  type Claims,
  decodeUnverified,
  IssuerUnavailableError,
  quote,
} from './checks.js';
import type { FederationPolicy } from '../kernel/model.js';
import type { ReplayGuard } from './ports.js';
import type { SubjectTokenVerifier } from './ports.js';

/** One line of a policy test. */
export interface TestedCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface PolicyTestResult {
  policyId: string;
  policyName: string;
  /** Whether an exchange with this token would be accepted by this policy now. */
  passed: boolean;
  checks: TestedCheck[];
}

/**
 * Runs every check an exchange makes, against one policy, and reports each: for an
 * administrator debugging a policy. It issues nothing and remembers nothing (the `jti` is
 * looked up, not recorded), and it tells the policy's own patterns, which the exchange
 * never tells a presenter.
 */
export async function testPolicy(
  deps: { verify: SubjectTokenVerifier; replay: ReplayGuard; clock: () => Date },
  policy: FederationPolicy,
  jwt: string,
): Promise<PolicyTestResult> {
  const now = deps.clock();
  const checks: TestedCheck[] = [];
  const result = (): PolicyTestResult => ({
    policyId: policy.policyId,
    policyName: policy.name,
    passed: checks.every((check) => check.passed),
    checks,
  });
  let header: Claims;
  let claims: Claims;
  try {
    ({ header, claims } = decodeUnverified(jwt));
    checks.push({ name: 'format', passed: true, detail: 'a compact JWT' });
  } catch (error) {
    checks.push({ name: 'format', passed: false, detail: (error as CheckFailed).description });
    return result();
  }
  try {
    checkAlgorithm(header);
    checks.push({ name: 'algorithm', passed: true, detail: `algorithm ${quote(header.alg)}` });
  } catch (error) {
    checks.push({ name: 'algorithm', passed: false, detail: (error as CheckFailed).description });
  }
  if (claims.iss === policy.issuer && checks.every((check) => check.passed)) {
    try {
      claims = (await deps.verify(jwt, policy.issuer, now, { jwksHosts: policy.jwksHosts })).claims;
      checks.push({
        name: 'signature',
        passed: true,
        detail: `signed with a key the issuer publishes (kid ${quote(header.kid ?? '(none)')})`,
      });
      checks.push({
        name: 'expiry',
        passed: true,
        detail: `expires in ${Number(claims.exp) - Math.floor(now.getTime() / 1000)} s`,
      });
    } catch (error) {
      if (error instanceof CheckFailed) checks.push({ name: error.check, passed: false, detail: error.description });
      else if (error instanceof IssuerUnavailableError) {
        checks.push({ name: 'signature', passed: false, detail: `${error.message}; an exchange would answer 503` });
      } else throw error;
    }
  } else {
    checks.push({ name: 'signature', passed: false, detail: 'not checked: the issuer or algorithm is not acceptable' });
  }
  for (const check of policyChecks(policy, claims, now))
    checks.push({ name: check.name, passed: check.passed, detail: check.detail });
  if (typeof claims.jti === 'string' && typeof claims.iss === 'string') {
    const used = await deps.replay.used(claims.iss, claims.jti, now);
    checks.push({
      name: 'replay',
      passed: !used,
      detail: used ? `jti ${quote(claims.jti)} was already exchanged` : `jti ${quote(claims.jti)} not used yet`,
    });
  } else {
    checks.push({
      name: 'replay',
      passed: false,
      detail: `claim 'jti' is missing: a token without one cannot be exchanged`,
    });
  }
  return result();
}
