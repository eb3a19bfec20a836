import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { GATEWAY_MESSAGE, type GatewayResponse, gatewayResponseTable } from '../../shared/http/gateway-responses.js';
import { PROBLEM_CONTENT_TYPE, problemType } from '../../shared/http/problem.js';

/**
 * API Gateway's own refusals, from the table the local gateway answers with too
 * (`shared/http/gateway-responses.ts`).
 */

/** The response body template: problem JSON, with `detail` spliced in unquoted when it is a gateway variable. */
export function problemTemplate(response: GatewayResponse): string {
  const body = {
    type: response.problemType ?? problemType(response.code),
    title: response.title,
    // A catch-all keeps each error's own status, which a template cannot say.
    ...(response.keepsStatus ? {} : { status: response.status }),
    detail: response.detail,
    code: response.code,
    ...response.extra,
  };
  const json = JSON.stringify(body);
  return response.detail === GATEWAY_MESSAGE ? json.replace(JSON.stringify(GATEWAY_MESSAGE), GATEWAY_MESSAGE) : json;
}

/** Adds every problem response to the API. */
export function addProblemGatewayResponses(api: apigw.RestApi): void {
  for (const response of gatewayResponseTable()) {
    const headers: Record<string, string> = {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
      ...response.headers,
    };
    api.addGatewayResponse(`Problem${response.type}`, {
      type: apigw.ResponseType.of(response.type),
      ...(response.keepsStatus ? {} : { statusCode: String(response.status) }),
      // Header values are mapping expressions: a literal needs single quotes.
      responseHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`])),
      templates: { 'application/json': problemTemplate(response) },
    });
  }
}
