// Jest setup for every test file: the AWS SDK talks only to local servers on 127.0.0.1, with the credentials
// s3rver insists on (the other local servers accept any), and never to a real AWS account.
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
// s3rver stores streamed bodies with their chunk framing unless checksums are only sent when required.
process.env.AWS_REQUEST_CHECKSUM_CALCULATION = 'WHEN_REQUIRED';
process.env.POWERTOOLS_DEV = process.env.POWERTOOLS_DEV ?? 'false';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
// The handlers' AWS call limits (lambda/shared/outbound-limits.ts) are sized for AWS answering in milliseconds; the
// local emulators on a loaded test machine may take seconds, which must not fail a functional test. Tests of the
// limits themselves set their own (lambda/customer-sync/forwarder.test.ts, test/outbound-timeouts.test.ts).
process.env.AWS_CONNECTION_TIMEOUT_MS = process.env.AWS_CONNECTION_TIMEOUT_MS ?? '5000';
process.env.AWS_REQUEST_TIMEOUT_MS = process.env.AWS_REQUEST_TIMEOUT_MS ?? '10000';
// CDK's own WASM template check (aws-cdk-lib's built-in validation) costs ~1.3 s of CPU per test file that
// synthesizes (engine start, per module registry). It guards the app's synth (`cdk synth`, kept on there); the test
// suite's assembly is built without it (test/support/synth-assembly.ts) and no test asserts what it reports.
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
// CDK records a stack trace for every construct it creates (creation-stack metadata) and every annotation, and
// under jest each trace is source-mapped: ~7 % of the CPU of the test files that build their own apps (api,
// lambda-concurrency, services, delivery, delivery-release, identity: median of 3 alternating runs 13.2 -> 12.2 s).
// No test reads a trace and the templates do not change. CDK reads CDK_CONTEXT_JSON in every App; local mode's
// synth (a child process) inherits it. The global setup's synth is not a test file and keeps CDK's defaults.
process.env.CDK_CONTEXT_JSON =
  process.env.CDK_CONTEXT_JSON ?? JSON.stringify({ 'aws:cdk:disable-creation-stack-traces': true, 'aws:cdk:disable-stack-trace': true });
