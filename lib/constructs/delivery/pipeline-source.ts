import { Stack, Validations } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { CodeCommitSourceConfig, SourceConfig } from '../../config/delivery';
import type { DeliveryFoundation } from './delivery-foundation';

/** The custom resource provider CDK shares per stack (AwsCustomResource's singleton function). */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`;

export interface PipelineSourceProps {
  readonly source: SourceConfig;
  readonly foundation: DeliveryFoundation;
  /** What the repository holds, for its description. */
  readonly description: string;
}

/**
 * Where a pipeline's code comes from, per config: a CodeCommit repository Connect creates (customer managed key, an
 * approval rule template requiring reviews on the branch, pull-request notifications), or an external repository
 * through an AWS CodeConnections connection (GitHub, GitLab, Bitbucket; the connection is created and authorized
 * once in the console, and config names it by ARN).
 */
export class PipelineSource extends Construct {
  readonly repository?: codecommit.Repository;
  readonly branch: string;

  constructor(scope: Construct, id: string, private readonly props: PipelineSourceProps) {
    super(scope, id);
    this.branch = props.source.branch;
    if (props.source.type === 'codecommit') this.repository = this.codeCommit(props.source);
  }

  /** The source of a CDK Pipelines pipeline. */
  forCdkPipeline(): pipelines.CodePipelineSource {
    const { source } = this.props;
    if (source.type === 'codecommit') return pipelines.CodePipelineSource.codeCommit(this.repository as codecommit.Repository, source.branch);
    return pipelines.CodePipelineSource.connection(source.repository, source.branch, { connectionArn: source.connectionArn, triggerOnPush: true });
  }

  /** The source action of a plain pipeline, and the commit id it resolves (`#{Source.CommitId}`). */
  sourceAction(output: codepipeline.Artifact): { action: codepipeline.IAction; commitId: string } {
    const { source } = this.props;
    if (source.type === 'codecommit') {
      const action = new actions.CodeCommitSourceAction({
        actionName: 'Source',
        repository: this.repository as codecommit.Repository,
        branch: source.branch,
        output,
        variablesNamespace: 'Source',
        trigger: actions.CodeCommitTrigger.EVENTS,
      });
      return { action, commitId: action.variables.commitId };
    }
    const [owner, repo] = source.repository.split('/');
    const action = new actions.CodeStarConnectionsSourceAction({
      actionName: 'Source',
      connectionArn: source.connectionArn,
      owner,
      repo,
      branch: source.branch,
      output,
      variablesNamespace: 'Source',
      triggerOnPush: true,
    });
    return { action, commitId: action.variables.commitId };
  }

  private codeCommit(source: CodeCommitSourceConfig): codecommit.Repository {
    const { foundation } = this.props;
    const stack = Stack.of(this);
    const repository = new codecommit.Repository(this, 'Repository', {
      repositoryName: source.repositoryName,
      description: this.props.description,
      kmsKey: foundation.artifactsKey,
    });
    // Reviews on the branch the pipeline releases from: every pull request into it needs the approvals. CloudFormation
    // has no approval rule template resource, so the CodeCommit API is called at deploy time
    // (https://docs.aws.amazon.com/codecommit/latest/userguide/approval-rule-templates.html).
    const templateName = `${source.repositoryName}-${source.branch.replaceAll("/", "-")}-reviews`.slice(0, 100);
    const content = JSON.stringify({
      Version: '2018-11-08',
      DestinationReferences: [`refs/heads/${source.branch}`],
      Statements: [{ Type: 'Approvers', NumberOfApprovalsNeeded: source.requiredApprovals, ApprovalPoolMembers: [`arn:${stack.partition}:sts::${stack.account}:assumed-role/*`] }],
    });
    const call = (action: string, parameters: Record<string, unknown>): cr.AwsSdkCall => ({
      service: 'CodeCommit',
      action,
      parameters,
      physicalResourceId: cr.PhysicalResourceId.of(templateName),
    });
    const template = new cr.AwsCustomResource(this, 'ApprovalRuleTemplate', {
      onCreate: call('createApprovalRuleTemplate', { approvalRuleTemplateName: templateName, approvalRuleTemplateContent: content, approvalRuleTemplateDescription: `Pull requests into ${source.branch} need ${source.requiredApprovals} approval(s)` }),
      onUpdate: call('updateApprovalRuleTemplateContent', { approvalRuleTemplateName: templateName, newRuleContent: content }),
      onDelete: call('deleteApprovalRuleTemplate', { approvalRuleTemplateName: templateName }),
      // Approval rule templates have no resource-level permissions (CodeCommit permissions reference).
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['codecommit:CreateApprovalRuleTemplate', 'codecommit:UpdateApprovalRuleTemplateContent', 'codecommit:DeleteApprovalRuleTemplate'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: foundation.deployHelperLogs,
    });
    const association = new cr.AwsCustomResource(this, 'ApprovalRuleTemplateAssociation', {
      onCreate: call('associateApprovalRuleTemplateWithRepository', { approvalRuleTemplateName: templateName, repositoryName: repository.repositoryName }),
      onDelete: call('disassociateApprovalRuleTemplateFromRepository', { approvalRuleTemplateName: templateName, repositoryName: repository.repositoryName }),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['codecommit:AssociateApprovalRuleTemplateWithRepository', 'codecommit:DisassociateApprovalRuleTemplateFromRepository'], resources: [repository.repositoryArn] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: foundation.deployHelperLogs,
    });
    association.node.addDependency(template);
    for (const resource of [template, association]) {
      const reason = 'CDK-generated policy of this custom resource only: the CodeCommit calls that manage the approval rule template of this repository.';
      Validations.of(resource).acknowledge(
        { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason },
        { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason },
        ...(resource === template ? [{ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'CodeCommit approval rule templates have no resource-level permissions; the actions are limited to creating, updating and deleting templates.' }] : []),
      );
    }
    acknowledgeCustomResourceProvider(stack);

    // Pull requests opened and merged, and their approvals, to the warning topic; failed builds reach the critical
    // topic through the pipeline's own notification rule.
    repository.notifyOn('PullRequests', foundation.topics.warning, {
      events: [
        codecommit.RepositoryNotificationEvents.PULL_REQUEST_CREATED,
        codecommit.RepositoryNotificationEvents.PULL_REQUEST_MERGED,
        codecommit.RepositoryNotificationEvents.APPROVAL_RULE_OVERRIDDEN,
      ],
    });
    return repository;
  }
}

/** The shared provider function of AwsCustomResource: a deploy-time helper that holds no data. Acknowledged once per stack. */
const acknowledgedProviders = new WeakSet<object>();
function acknowledgeCustomResourceProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
  if (!provider || acknowledgedProviders.has(provider)) return;
  acknowledgedProviders.add(provider);
  const reason = 'CDK\'s AwsCustomResource provider: runs only during deployments to call the CodeCommit approval-rule-template API; it holds no data, has no event source and reaches only AWS APIs.';
  Validations.of(provider).acknowledge(
    { id: 'NIST.800.53.R5-LambdaConcurrency', reason },
    { id: 'PCI.DSS.321-LambdaConcurrency', reason },
    { id: 'NIST.800.53.R5-LambdaDLQ', reason: `${reason} CloudFormation retries and reports a failed call; there is no event to keep.` },
    { id: 'PCI.DSS.321-LambdaDLQ', reason: `${reason} CloudFormation retries and reports a failed call; there is no event to keep.` },
    { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: `${reason} The tooling account has no VPC.` },
    { id: 'PCI.DSS.321-LambdaInsideVPC', reason: `${reason} The tooling account has no VPC.` },
    { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: `${reason} The AWS managed policy lets it write its own logs only.` },
  );
}
