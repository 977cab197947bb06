import { Stack, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
// The function cdk-nag's IAM5 rule names wildcard resources with, so each acknowledgment id is exactly the finding's.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * The wildcards CDK writes into the pipelines' generated policies (grants on the artifact store, CodeBuild's report
 * groups and log streams, CDK Pipelines' asset and self-mutation roles), each acknowledged on its policy with the
 * reason it is safe, per statement: a wildcard is acknowledged only where the statement it sits in matches one of
 * the known shapes below. Anything else stays a finding and fails the compliance gate.
 */

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A known wildcard: what the finding looks like, the statement it may sit in, and why it is safe. */
interface KnownWildcard {
  readonly finding: RegExp;
  readonly statement?: (actions: string[], resources: string[], statement: Statement) => boolean;
  readonly reason: string;
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
/** `<FooArtifactsABC123.Arn>` or `<FooArtifactsABC123.Arn>/*`: a pipeline's artifact bucket (SecureBucket `Artifacts`). */
const ARTIFACT_BUCKET = /^<[A-Za-z0-9]*Artifacts[A-Z0-9]{8}\.Arn>(\/\*)?$/;
/** The delivery artifacts key. */
const ARTIFACTS_KEY = /^<FoundationArtifactsKey[A-Z0-9]{8}\.Arn>$/;
const onlyArtifactStore = (_actions: string[], resources: string[]) => resources.length > 0 && resources.every((r) => ARTIFACT_BUCKET.test(r) || ARTIFACTS_KEY.test(r));
const only = (allowed: readonly string[]) => (actions: string[]) => actions.every((a) => allowed.includes(a));

const KNOWN: readonly KnownWildcard[] = [
  {
    finding: /^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort|PutObject)\*$/,
    statement: onlyArtifactStore,
    reason: 'CDK grant on this pipeline\'s own artifact bucket: the S3 action family on that one bucket and its objects, nothing else.',
  },
  {
    finding: /^Action::kms:(GenerateDataKey|ReEncrypt|Decrypt|Encrypt)\*$/,
    statement: onlyArtifactStore,
    reason: 'CDK grant on the delivery artifacts key that encrypts the artifact stores: the data-key action family on that one key.',
  },
  { finding: /^Resource::<[A-Za-z0-9]*Artifacts[A-Z0-9]{8}\.Arn>\/\*$/, statement: onlyArtifactStore, reason: 'The objects of this pipeline\'s own artifact bucket (its artifacts are written under generated keys).' },
  {
    finding: /^Resource::arn:[a-z-]+:codebuild:[a-z0-9-]+:\d{12}:report-group\/<[A-Za-z0-9]+>-\*$/,
    reason: 'CodeBuild test-report groups of this one project (CodeBuild names them <project>-<name>); CDK scopes the grant to that prefix.',
  },
  {
    finding: /^Resource::arn:[a-z-]+:logs:[a-z0-9-]+:\d{12}:log-group:\/aws\/codebuild\/<[A-Za-z0-9]+>:\*$/,
    reason: 'Log streams of this one project\'s default CodeBuild log group; the project writes its logs to the retained delivery log group.',
  },
  // CDK Pipelines' shared asset-publishing role: it serves publishing projects CDK creates after the role exists.
  {
    finding: /^Resource::arn:[a-z-]+:logs:[a-z0-9-]+:\d{12}:log-group:\/aws\/codebuild\/\*$/,
    statement: only(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']),
    reason: 'CDK Pipelines\' asset-publishing role writes the logs of the publishing projects it serves, which are named after the role exists; log actions only.',
  },
  {
    finding: /^Resource::arn:[a-z-]+:codebuild:[a-z0-9-]+:\d{12}:report-group\/\*$/,
    statement: only(['codebuild:BatchPutCodeCoverages', 'codebuild:BatchPutTestCases', 'codebuild:CreateReport', 'codebuild:CreateReportGroup', 'codebuild:UpdateReport']),
    reason: 'CDK Pipelines\' asset-publishing role reports for the publishing projects it serves, which are named after the role exists; report actions only.',
  },
  {
    finding: /^Resource::\*$/,
    statement: only(['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild']),
    reason: 'CDK Pipelines\' asset-publishing role starts and watches the builds of the publishing projects it serves, created after the role.',
  },
  {
    finding: /^Resource::\*$/,
    statement: only(['cloudformation:DescribeStacks', 's3:ListBucket']),
    reason: 'The self-mutation step (cdk deploy of this stack) reads stack status and finds the bootstrap bucket by name at run time; read-only actions.',
  },
  {
    finding: /^Resource::arn:\*:iam::\d{12}:role\/\*$/,
    statement: (actions, _resources, statement) => only(['sts:AssumeRole'])(actions) && JSON.stringify(statement.Condition ?? {}).includes('aws-cdk:bootstrap-role'),
    reason: 'The self-mutation step assumes only the tooling account\'s CDK bootstrap roles: the condition requires the aws-cdk:bootstrap-role tag.',
  },
];

/** The IAM5 findings of one statement, as cdk-nag names them. */
function wildcards(statement: Statement): { finding: string; actions: string[]; resources: string[] }[] {
  if (statement.Effect !== 'Allow') return [];
  const actions = list(statement.Action).map(String);
  const resources = list(statement.Resource).map((r) => flattenCfnReference(r));
  const findings = [...actions.filter((a) => a.includes('*')).map((a) => `Action::${a}`), ...resources.filter((r) => r.includes('*')).map((r) => `Resource::${r}`)];
  return findings.map((finding) => ({ finding, actions, resources }));
}

/** Acknowledges the known wildcards of every generated policy under `scope` (call once the pipelines are built). */
export function acknowledgeGeneratedPermissions(scope: IConstruct): void {
  for (const policy of scope.node.findAll().filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy)) {
    const document = Stack.of(policy).resolve(policy.policyDocument) as { Statement?: Statement[] };
    const reasons = new Map<string, string>();
    // A finding is one id per policy: it is acknowledged only if every statement it appears in is a known shape.
    const unknown = new Set<string>();
    for (const statement of document.Statement ?? []) {
      for (const { finding, actions, resources } of wildcards(statement)) {
        const known = KNOWN.find((k) => k.finding.test(finding) && (k.statement?.(actions, resources, statement) ?? true));
        if (!known) unknown.add(finding);
        else if (!reasons.has(finding)) reasons.set(finding, known.reason);
      }
    }
    const acknowledged = [...reasons].filter(([finding]) => !unknown.has(finding));
    if (acknowledged.length > 0) Validations.of(policy).acknowledge(...acknowledged.map(([finding, reason]) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason })));
  }
  // The projects' source is CODEPIPELINE: no repository URL and no credentials of their own. The PCI rule fails every
  // project without OAuth, whatever its source type.
  for (const project of scope.node.findAll().filter((c): c is codebuild.CfnProject => c instanceof codebuild.CfnProject)) {
    const reason = 'The project\'s source is CODEPIPELINE: the pipeline\'s source action (CodeCommit or a CodeConnections connection) hands it the code; the project holds no repository URL or credentials.';
    Validations.of(project).acknowledge({ id: 'PCI.DSS.321-CodeBuildProjectSourceRepoUrl', reason });
  }
}
