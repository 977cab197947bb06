import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';

export interface RequestsPerTaskScalingProps {
  /** The service's task count scaling (`service.autoScaleTaskCount(...)`). */
  readonly scaling: ecs.ScalableTaskCount;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The two target groups ECS moves the service's tasks between at each release. */
  readonly blue: elbv2.ApplicationTargetGroup;
  readonly green: elbv2.ApplicationTargetGroup;
  readonly policyName: string;
  readonly targetRequestsPerTaskPerMinute: number;
}

/**
 * Target tracking on requests per running task, added to `scope` as `RequestsPerTask`. The ALB's predefined
 * RequestCountPerTarget names one target group, and ECS blue/green swaps which group holds production at each
 * release; the requests of both groups over the running tasks (Container Insights) follow production whichever
 * group holds it.
 */
export function scaleOnRequestsPerTask(scope: Construct, props: RequestsPerTaskScalingProps): appscaling.CfnScalingPolicy {
  const scalableTarget = props.scaling.node.findChild('Target') as appscaling.ScalableTarget;
  const requestCount = (id: string, group: elbv2.ApplicationTargetGroup) => ({
    id,
    returnData: false,
    metricStat: {
      stat: 'Sum',
      metric: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        dimensions: [
          { name: 'LoadBalancer', value: props.loadBalancer.loadBalancerFullName },
          { name: 'TargetGroup', value: group.targetGroupFullName },
        ],
      },
    },
  });
  return new appscaling.CfnScalingPolicy(scope, 'RequestsPerTask', {
    policyName: props.policyName,
    policyType: 'TargetTrackingScaling',
    scalingTargetId: scalableTarget.scalableTargetId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: props.targetRequestsPerTaskPerMinute,
      scaleInCooldown: 300,
      scaleOutCooldown: 60,
      customizedMetricSpecification: {
        metrics: [
          requestCount('blue', props.blue),
          requestCount('green', props.green),
          {
            id: 'tasks',
            returnData: false,
            metricStat: {
              stat: 'Average',
              metric: {
                namespace: 'ECS/ContainerInsights',
                metricName: 'RunningTaskCount',
                dimensions: [
                  { name: 'ClusterName', value: props.service.cluster.clusterName },
                  { name: 'ServiceName', value: props.service.serviceName },
                ],
              },
            },
          },
          { id: 'requestsPerTask', label: 'Requests per task per minute', expression: '(FILL(blue, 0) + FILL(green, 0)) / tasks', returnData: true },
        ],
      },
    },
  });
}
