import type { Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { problem } from '../../shared/http/problem.js';
import type { Route } from '../routes.js';
import { regionalName } from './names.js';
import type { ServiceSettings } from './settings.js';

/**
 * The web ACL on the API stage. Every request is counted per source address: against a
 * limit of its own on each route anyone may call (so that one client cannot take the
 * method throttle that every tenant's CI exchanges, or GitHub's leak reports, share), and
 * against one limit for the whole API. AWS's common rule set then inspects what is left,
 * but not GitHub's reports, which are signed and checked before anything reads them.
 *
 * Rate-based rules count over 5 minutes and act once an address passes its limit
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
 */

/** How long a client refused by a rate-based rule should wait; the rules count over 5 minutes. */
export const WAF_RETRY_AFTER_SECONDS = 60;
export const RATE_LIMITED_BODY = 'rateLimited';

/** The common rule set's rules that run in count mode only, and why. */
export const COUNTED_COMMON_RULES: Record<string, string> = {
  // Bodies over 8 KB: federation policies with many claim patterns, subject tokens of up to
  // 16 KB (a policy test), and reports on the scanning route. Every function bounds and
  // validates its own body, so the rule would refuse only legitimate requests.
  SizeRestrictions_BODY: 'every function bounds and validates its own body; policies and subject tokens may pass 8 KB',
};

/** The per-address limit of each route anyone may call, from context. */
export interface RouteLimit {
  route: Route;
  limit: number;
  /** The rule's name. */
  name: string;
}

export function anonymousRouteLimits(routes: readonly Route[], settings: ServiceSettings): RouteLimit[] {
  const limits: Record<string, { limit: number; name: string }> = {
    'exchange-token': { limit: settings.wafTokenExchangeRateLimit, name: 'TokenExchangePerIp' },
    'github-secret-scanning': { limit: settings.wafSecretScanningRateLimit, name: 'SecretScanningPerIp' },
  };
  return routes
    .filter((route) => route.auth === 'none' && route.throttle)
    .map((route) => {
      const limit = limits[route.id];
      // A new route open to anyone needs its own limit here, or synthesis stops.
      if (!limit) throw new Error(`Route ${route.id} takes anonymous traffic but has no per-address WAF limit`);
      return { route, ...limit };
    });
}

/**
 * A regular expression that matches the route's path at the end of the request's, stage
 * and any base path before it; path parameters match one segment.
 */
export function routePathPattern(path: string): string {
  const escaped = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return `${escaped}/?$`;
}

type Statement = wafv2.CfnWebACL.StatementProperty;

function pathStatement(path: string): Statement {
  return {
    regexMatchStatement: {
      regexString: routePathPattern(path),
      fieldToMatch: { uriPath: {} },
      // An encoded path reaches the same route: it must match the same rule.
      textTransformations: [{ priority: 0, type: 'URL_DECODE' }],
    },
  };
}

/** Metrics for each rule, and no sampled requests: those keep request headers, credentials among them. */
const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: false,
});

function rateRule(name: string, priority: number, limit: number, scopeDown?: Statement): wafv2.CfnWebACL.RuleProperty {
  const scope = scopeDown ? { scopeDownStatement: scopeDown } : {};
  return {
    name,
    priority,
    statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300, ...scope } },
    // A 429 with Retry-After, which CI clients retry; a custom response replaces the stage's own.
    action: {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: RATE_LIMITED_BODY,
          responseHeaders: [{ name: 'Retry-After', value: String(WAF_RETRY_AFTER_SECONDS) }],
        },
      },
    },
    visibilityConfig: visibility(name),
  };
}

export function apiWebAcl(stack: Stack, stage: apigw.Stage, routes: readonly Route[], settings: ServiceSettings) {
  const rules = anonymousRouteLimits(routes, settings).map(({ route, limit, name }, index) =>
    rateRule(name, index, limit, pathStatement(route.path)),
  );
  rules.push(rateRule('PerIp', rules.length, settings.wafRateLimit));
  if (settings.wafCommonRuleSet) {
    const scanning = routes.find((route) => route.id === 'github-secret-scanning');
    rules.push({
      name: 'CommonRuleSet',
      priority: rules.length,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: 'AWSManagedRulesCommonRuleSet',
          ruleActionOverrides: Object.keys(COUNTED_COMMON_RULES).map((name) => ({ name, actionToUse: { count: {} } })),
          // GitHub's reports (up to 1 MiB of JSON) are verified by their signature before any
          // part of them is read; a false match here would drop a leak report.
          ...(scanning ? { scopeDownStatement: { notStatement: { statement: pathStatement(scanning.path) } } } : {}),
        },
      },
      visibilityConfig: visibility('CommonRuleSet'),
    });
  }
  const detail = 'Too many requests from this address; retry after Retry-After seconds.';
  const throttled = problem(429, 'THROTTLED', 'Too many requests', detail);
  const acl = new wafv2.CfnWebACL(stack, 'WebAcl', {
    name: regionalName(stack, 'api', 128),
    description: 'Per-address limits and AWS common rules for the API stage',
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    customResponseBodies: {
      [RATE_LIMITED_BODY]: { contentType: 'APPLICATION_JSON', content: JSON.stringify(throttled) },
    },
    rules,
    visibilityConfig: visibility('WebAcl'),
  });
  new wafv2.CfnWebACLAssociation(stack, 'WebAclAssociation', { resourceArn: stage.stageArn, webAclArn: acl.attrArn });
  return acl;
}
