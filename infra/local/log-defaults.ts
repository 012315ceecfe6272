/**
 * Locally, function logs would drown the startup summary and the demo: warnings and errors only,
 * unless POWERTOOLS_LOG_LEVEL says otherwise. Imported before any function module creates its logger.
 */
process.env['POWERTOOLS_LOG_LEVEL'] ??= 'WARN';
process.env['POWERTOOLS_DEV'] ??= 'true';
// The SDK's Node 20 deprecation notice is for the Lambda runtime (nodejs22.x), not for laptops.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export {};
