import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * Path parameters as the functions see them: API Gateway (REST) hands them to Lambda
 * still percent-encoded, so they are decoded here, once, before any id is looked up or
 * echoed back. A value that is not valid percent-encoding names nothing: undefined.
 */
export function pathParameter(event: Pick<APIGatewayProxyEvent, 'pathParameters'>, name: string): string | undefined {
  const raw = event.pathParameters?.[name];
  if (raw === undefined || raw === null) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
