import { ArnFormat, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DatabaseConfig } from '../../config/data';

/** Non-default listener ports (AwsSolutions-RDS11): a scan for 5432/3306 finds nothing. */
export const DATABASE_PORTS: Record<DatabaseConfig['engine'], number> = { 'aurora-postgresql': 15432, 'aurora-mysql': 13306 };
/** RDS Proxy listens on the engine family's standard port, whatever the cluster's. */
const PROXY_PORTS: Record<DatabaseConfig['engine'], number> = { 'aurora-postgresql': 5432, 'aurora-mysql': 3306 };
/** The administrator user of the generated secret (rotated; services should prefer their own IAM user). */
export const ADMIN_USER = 'connect_admin';

/**
 * TLS only, in the cluster parameter group: `rds.force_ssl` (Aurora PostgreSQL) and `require_secure_transport`
 * (Aurora MySQL) refuse unencrypted connections.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html#AuroraPostgreSQL.Security.SSL.Requiring
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Security.html#AuroraMySQL.Security.SSL.RequireSSL
 */
export const TLS_ONLY_PARAMETERS: Record<DatabaseConfig['engine'], Record<string, string>> = {
  'aurora-postgresql': { 'rds.force_ssl': '1' },
  // server_audit_logging feeds the exported audit log (AwsSolutions-RDS16).
  'aurora-mysql': { require_secure_transport: 'ON', server_audit_logging: '1', server_audit_events: 'CONNECT,QUERY_DCL,QUERY_DDL' },
};

/** Logs each engine exports to CloudWatch (into log groups created here, encrypted and retained). */
export const LOG_EXPORTS: Record<DatabaseConfig['engine'], string[]> = {
  'aurora-postgresql': ['postgresql'],
  'aurora-mysql': ['error', 'slowquery', 'audit', 'general'],
};

export interface ServiceDatabaseProps {
  readonly config: DatabaseConfig;
  readonly environmentName: string;
  readonly production: boolean;
  readonly vpc: ec2.IVpc;
  /** Storage, Performance Insights. */
  readonly dataKey: kms.IKey;
  /** The generated credentials' secret. */
  readonly secretsKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * One Aurora Serverless v2 cluster for the services: in the isolated subnets, storage and Performance Insights
 * encrypted with the data key, TLS only, IAM database authentication, generated administrator credentials in Secrets
 * Manager rotated by a hosted rotation function, automated backups retained by environment kind, logs exported into
 * encrypted, retained log groups, Database Insights (advanced in production), enhanced monitoring, deletion
 * protection everywhere and RETAIN in production (a final snapshot elsewhere), and an optional RDS Proxy. Nothing can reach it until `allowFrom` names a
 * client (the services that name it).
 */
export class ServiceDatabase extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly secret: secretsmanager.ISecret;
  readonly proxy?: rds.DatabaseProxy;
  readonly config: DatabaseConfig;
  /** Where services connect: the proxy when there is one, otherwise the writer. */
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly databaseName: string;
  /** The proxy's role: granted rds-db:connect on the cluster as each service user (end-to-end IAM). */
  private readonly proxyRole?: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceDatabaseProps) {
    super(scope, id);
    const { config, production } = props;
    this.config = config;
    const engine =
      config.engine === 'aurora-postgresql'
        ? rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.of(config.engineVersion, config.engineVersion.split('.')[0]) })
        : rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.of(`8.0.mysql_aurora.${config.engineVersion}`, '8.0') });
    const clusterIdentifier = `connect-${props.environmentName}-${config.name}`;
    this.databaseName = config.name.replace(/-/g, '_');

    // RDS writes exported logs to /aws/rds/cluster/<cluster>/<log>; creating them first makes them ours: encrypted
    // with the logs key and retained, with no log-retention custom resource.
    const logGroups = LOG_EXPORTS[config.engine].map(
      (log) =>
        new logs.LogGroup(this, `Log-${log}`, {
          logGroupName: `/aws/rds/cluster/${clusterIdentifier}/${log}`,
          retention: props.logRetention,
          encryptionKey: props.logsKey,
          removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        }),
    );

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${clusterIdentifier}: only from the services that name it`,
      allowAllOutbound: false,
    });
    // Database Insights: advanced (15 months of Performance Insights) in production, standard (7 days) elsewhere;
    // each instance states the cluster's Performance Insights settings (CDK refuses a mismatch).
    const performanceInsightRetention = production ? rds.PerformanceInsightRetention.MONTHS_15 : rds.PerformanceInsightRetention.DEFAULT;
    const serverless = {
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightRetention,
      performanceInsightEncryptionKey: props.dataKey,
    };
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier,
      port: DATABASE_PORTS[config.engine],
      defaultDatabaseName: this.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(ADMIN_USER, { encryptionKey: props.secretsKey, secretName: `connect/${props.environmentName}/database/${config.name}` }),
      writer: rds.ClusterInstance.serverlessV2('Writer', serverless),
      readers: Array.from({ length: config.readers }, (_, i) => rds.ClusterInstance.serverlessV2(`Reader${i + 1}`, { ...serverless, scaleWithWriter: i === 0 })),
      serverlessV2MinCapacity: config.minCapacity,
      serverlessV2MaxCapacity: config.maxCapacity,
      serverlessV2AutoPauseDuration: config.minCapacity === 0 ? Duration.minutes(config.autoPauseMinutes) : undefined,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [securityGroup],
      storageEncrypted: true,
      storageEncryptionKey: props.dataKey,
      iamAuthentication: true,
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', { engine, description: `${clusterIdentifier}: TLS only`, parameters: TLS_ONLY_PARAMETERS[config.engine] }),
      backup: { retention: Duration.days(production ? 35 : 7), preferredWindow: '03:00-04:00' },
      preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      cloudwatchLogsExports: LOG_EXPORTS[config.engine],
      copyTagsToSnapshot: true,
      // On in every environment (the secure setting; Control Tower CT.RDS.PR.3): deleting a pre-production database
      // takes turning it off first, on purpose.
      deletionProtection: true,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
      monitoringInterval: Duration.seconds(60),
      databaseInsightsMode: production ? rds.DatabaseInsightsMode.ADVANCED : rds.DatabaseInsightsMode.STANDARD,
      performanceInsightRetention,
      performanceInsightEncryptionKey: props.dataKey,
    });
    for (const logGroup of logGroups) this.cluster.node.addDependency(logGroup);
    this.secret = this.cluster.secret!;
    // The administrator credentials live as long as the data they open: a retained production cluster keeps its
    // secret (CDK gives the generated secret DeletionPolicy Delete whatever the cluster's policy), so the retained
    // cluster can still be administered after the stack is gone. Elsewhere the cluster leaves a final snapshot and the
    // secret goes with the stack (a restore starts from the snapshot's credentials, docs/DATA.md).
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
    // (`cluster.secret` is the secret's attachment to the cluster; the generated secret is the cluster's child.)
    (this.cluster.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);

    // Hosted rotation: CloudFormation's Secrets Manager transform creates the single-user rotation function from
    // AWS's rotation template (no code of ours), in the private subnets so it reaches the cluster and the Secrets
    // Manager API; the template must declare the transform, which CDK adds.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-secretsmanager-rotationschedule-hostedrotationlambda.html
    // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_secretsmanager.HostedRotation.html
    const hostedRotation = (config.engine === 'aurora-postgresql' ? secretsmanager.HostedRotation.postgreSqlSingleUser : secretsmanager.HostedRotation.mysqlSingleUser)({
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      functionName: `${clusterIdentifier}-rotation`,
    });
    this.secret.addRotationSchedule('Rotation', { hostedRotation, automaticallyAfter: Duration.days(config.rotationDays) });
    const port = ec2.Port.tcp(DATABASE_PORTS[config.engine]);
    securityGroup.connections.allowFrom(hostedRotation, port, 'Secrets Manager hosted rotation of the administrator credentials');

    if (config.proxy) {
      // End-to-end IAM authentication: a service connects to the proxy with an IAM token as its own database user
      // (DB_<NAME>_IAM_USER, rds-db:connect on the proxy, connectPolicy), and the proxy connects to the cluster as that
      // same user with IAM database authentication, not with a Secrets Manager secret per user: "Alternatively, you
      // can configure RDS Proxy to use end-to-end IAM authentication" (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-secrets-arns.html).
      // DefaultAuthScheme IAM_AUTH needs no secret, and the proxy's role needs rds-db:connect on the cluster for each
      // user (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-iam-setup.html, end-to-end IAM
      // policy; CDK: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_rds.DefaultAuthScheme.html), granted
      // per service in connectPolicy. The administrator (connect_admin, the rotated secret) does not go through the
      // proxy: it connects to the writer (rotation, the one-time user setup in docs/DATA.md).
      this.proxyRole = new iam.Role(this, 'ProxyRole', { assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'), description: `${clusterIdentifier} proxy: connects to its cluster as the service users (IAM database authentication)` });
      this.proxy = new rds.DatabaseProxy(this.cluster, 'Proxy', {
        proxyTarget: rds.ProxyTarget.fromCluster(this.cluster),
        role: this.proxyRole,
        dbProxyName: clusterIdentifier,
        defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
        vpc: props.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [new ec2.SecurityGroup(this, 'ProxySecurityGroup', { vpc: props.vpc, description: `${clusterIdentifier} proxy: only from the services that name it`, allowAllOutbound: false })],
        requireTLS: true,
      });
      // The proxy target adds the proxy's ingress to the cluster on the cluster's port as a GetAtt, which the
      // compliance rules cannot read; the port is known, so it is stated.
      for (const rule of securityGroup.node.findAll().filter((c): c is ec2.CfnSecurityGroupIngress => c instanceof ec2.CfnSecurityGroupIngress)) {
        rule.fromPort = DATABASE_PORTS[config.engine];
        rule.toPort = DATABASE_PORTS[config.engine];
      }
      const proxyPolicy = 'The policy of this proxy\'s own role: rds-db:connect on its own cluster as the database users of the services that name it, one ARN per user.';
      Validations.of(this.proxyRole).acknowledge({ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: proxyPolicy }, { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: proxyPolicy });
      this.endpoint = { host: this.proxy.endpoint, port: PROXY_PORTS[config.engine] };
    } else {
      this.endpoint = { host: this.cluster.clusterEndpoint.hostname, port: DATABASE_PORTS[config.engine] };
    }

    if (config.engine === 'aurora-mysql') {
      // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.requirements.html lists
      // Backtrack among the features Aurora Serverless v2 does not offer.
      Validations.of(this.cluster).acknowledge({ id: 'AwsSolutions-RDS14', reason: 'Backtrack is not available for Aurora Serverless v2 (Aurora User Guide, requirements and limitations); point-in-time restore from the automated backups and AWS Backup cover recovery.' });
    }
    // Aurora backs up the cluster (its storage), not its instances; the plan selects the cluster by ARN.
    const clusterBackup = 'An Aurora instance holds no data of its own: its cluster\'s storage is what AWS Backup backs up, and the environment\'s plan selects the cluster by ARN (EnvironmentBackup).';
    for (const instance of this.cluster.node.findAll().filter((c): c is rds.CfnDBInstance => c instanceof rds.CfnDBInstance)) {
      Validations.of(instance).acknowledge({ id: 'NIST.800.53.R5-RDSInBackupPlan', reason: clusterBackup });
    }
    const monitoringRole = 'The enhanced monitoring role of this cluster\'s instances: AWS\'s managed AmazonRDSEnhancedMonitoringRole, which RDS documents for it and keeps in step with what the agent publishes.';
    Validations.of(this.cluster).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]', reason: monitoringRole });
  }

  /**
   * Lets `peer` (a service's security group) connect: to the proxy when there is one, otherwise to the cluster, on
   * its port only. The rule is created in the peer's stack (remote rule), so this stack never references a service.
   */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    const target = this.proxy ?? this.cluster;
    for (const group of target.connections.securityGroups) group.addIngressRule(peer, ec2.Port.tcp(this.endpoint.port), description, true);
  }

  /**
   * A managed policy, in this stack, allowing IAM database authentication as `dbUser` only (rds-db:connect on this
   * cluster, or on its proxy when there is one). In this stack because the proxy's resource id exists only inside its
   * ARN: splitting the ARN here is local, while splitting it in a service's stack would split a cross-stack output
   * (not a position CloudFormation documents for it). The service's stack attaches the policy to its task role.
   */
  connectPolicy(id: string, dbUser: string): iam.ManagedPolicy {
    const userArn = (resourceId: string) => Stack.of(this).formatArn({ service: 'rds-db', resource: 'dbuser', resourceName: `${resourceId}/${dbUser}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const resourceId = this.proxy ? Fn.select(6, Fn.split(':', this.proxy.dbProxyArn)) : this.cluster.clusterResourceIdentifier;
    const dbUserArn = userArn(resourceId);
    // End-to-end IAM: the proxy logs in to the cluster as the same user (see the constructor).
    if (this.proxyRole) iam.Grant.addToPrincipal({ grantee: this.proxyRole, actions: ['rds-db:connect'], resourceArns: [userArn(this.cluster.clusterResourceIdentifier)] });
    return new iam.ManagedPolicy(this, `Connect-${id}`, {
      description: `IAM authentication to database ${this.config.name} as ${dbUser}`,
      statements: [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [dbUserArn] })],
    });
  }
}
