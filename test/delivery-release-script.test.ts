import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageReleaseSpec, RELEASE_FILE } from '../lib/constructs/delivery/buildspecs';

/**
 * The release step's shell, run for real in bash the way CodeBuild runs a buildspec 0.2 (every command in one
 * shell, the build stops at the first failing command), against stand-ins for the AWS CLI and Docker: nothing real
 * can answer for ECR, SSM and CloudFormation here. The stand-ins follow the CLI's documented behaviour where the
 * script depends on it (text output of --query, "None" for a missing key, "No updates are to be performed" on an
 * unchanged stack, ParameterNotFound exit status) and record every call.
 */

const spec = imageReleaseSpec({
  service: 'accounts',
  environment: 'staging',
  account: '222222222222',
  region: 'us-east-1',
  repository: 'connect/staging/accounts',
  parameter: '/connect/staging/services/accounts/image-tag',
  stack: 'staging-Services',
  releaseRoleArn: 'arn:aws:iam::222222222222:role/connect-staging-service-release',
}) as any;

const FAKE_AWS = `#!/bin/bash
# Stand-in for the AWS CLI: state in $STATE, every call appended to $STATE/calls.
echo "aws $*" >> "$STATE/calls"
case "$1 $2" in
  "configure set") exit 0 ;;
  "ecr describe-images") [ -f "$STATE/image-exists" ] && { echo '{"imageDetails":[{}]}'; exit 0; }; echo "An error occurred (ImageNotFoundException)" >&2; exit 254 ;;
  "ecr get-login-password") echo "SECRET-REGISTRY-PASSWORD" ;;
  "ecr wait") exit 0 ;;
  "ecr describe-image-scan-findings") cat "$STATE/critical" ;;
  "ssm get-parameter") [ -f "$STATE/parameter" ] && { cat "$STATE/parameter"; exit 0; }; echo "An error occurred (ParameterNotFound)" >&2; exit 254 ;;
  "ssm put-parameter") while [ $# -gt 0 ]; do [ "$1" = "--value" ] && printf '%s' "$2" > "$STATE/parameter"; shift; done ;;
  "cloudformation describe-stacks")
    [ -f "$STATE/stack-exists" ] || { echo "Stack with id staging-Services does not exist" >&2; exit 254; }
    case "$*" in
      *ParameterKey*) printf 'ServiceaccountsImageTag3C3791C6\\tBootstrapVersion\\n' ;;
      *StackStatus*)
        status="$(head -n 1 "$STATE/statuses")"; [ "$(wc -l < "$STATE/statuses")" -gt 1 ] && sed -i 1d "$STATE/statuses"
        # THROTTLED: this read fails as the CLI does once its retries are spent.
        [ "$status" = THROTTLED ] && { echo "An error occurred (Throttling) when calling the DescribeStacks operation: Rate exceeded" >&2; exit 254; }
        echo "$status" ;;
      *) echo '{"Stacks":[{}]}' ;;
    esac ;;
  "cloudformation update-stack") [ -f "$STATE/no-updates" ] && { echo "An error occurred (ValidationError) when calling the UpdateStack operation: No updates are to be performed." >&2; exit 254; }; echo '{"StackId":"x"}' ;;
  *) echo "unexpected: aws $*" >&2; exit 2 ;;
esac
`;
const FAKE_DOCKER = `#!/bin/bash
echo "docker $*" >> "$STATE/calls"
[ "$1" = "login" ] && cat > /dev/null
[ "$1" = "load" ] && cat > /dev/null
exit 0
`;

interface Run {
  readonly status: number | null;
  readonly output: string;
  readonly calls: string[];
  readonly parameter?: string;
}

/** Runs the release step with the stand-ins in the state `setup` prepares. */
function release(setup: { imageExists?: boolean; critical?: string; parameter?: string; stackExists?: boolean; statuses?: string[]; noUpdates?: boolean }): Run {
  const dir = mkdtempSync(join(tmpdir(), 'connect-release-'));
  try {
    const state = join(dir, 'state');
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', state, bin]);
    for (const [name, body] of Object.entries({ aws: FAKE_AWS, docker: FAKE_DOCKER, sleep: '#!/bin/bash\nexit 0\n' })) {
      writeFileSync(join(bin, name), body);
      chmodSync(join(bin, name), 0o755);
    }
    writeFileSync(join(state, 'calls'), '');
    writeFileSync(join(state, 'critical'), `${setup.critical ?? 'None'}\n`);
    writeFileSync(join(state, 'statuses'), `${(setup.statuses ?? ['UPDATE_COMPLETE']).join('\n')}\n`);
    if (setup.imageExists) writeFileSync(join(state, 'image-exists'), '');
    if (setup.parameter !== undefined) writeFileSync(join(state, 'parameter'), setup.parameter);
    if (setup.stackExists ?? true) writeFileSync(join(state, 'stack-exists'), '');
    if (setup.noUpdates) writeFileSync(join(state, 'no-updates'), '');
    // What the build stage hands over: the release metadata and the image archive.
    writeFileSync(join(dir, RELEASE_FILE), JSON.stringify({ service: 'accounts', imageTag: '3f9c2d1e8b7a', commit: '3f9c2d1e8b7a' }));
    writeFileSync(join(dir, 'image.tar.gz'), spawnSync('gzip', ['-c'], { input: 'image' }).stdout);
    // Buildspec 0.2: one shell for every command; a command that fails ends the build with its status.
    const commands: string[] = [...spec.phases.pre_build.commands, ...spec.phases.build.commands];
    const script = commands.map((command) => `${command}\n__status=$?; [ $__status -eq 0 ] || exit $__status`).join('\n');
    const result = spawnSync('bash', ['-c', script], {
      cwd: dir,
      env: { PATH: `${bin}:${process.env.PATH}`, STATE: state, HOME: dir, ...spec.env.variables },
      encoding: 'utf8',
      timeout: 20_000,
    });
    const parameterFile = join(state, 'parameter');
    return {
      status: result.status,
      output: `${result.stdout}${result.stderr}`,
      calls: readFileSync(join(state, 'calls'), 'utf8').trim().split('\n'),
      parameter: existsSync(parameterFile) ? readFileSync(parameterFile, 'utf8') : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const called = (run: Run, prefix: string) => run.calls.filter((c) => c.startsWith(prefix));

test('a release pushes the image, records its tag and updates the Services stack with its previous template and parameters', () => {
  const run = release({ parameter: '1.4.2', statuses: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'] });
  expect(run.status).toBe(0);
  expect(called(run, 'docker push')).toEqual(['docker push 222222222222.dkr.ecr.us-east-1.amazonaws.com/connect/staging/accounts:3f9c2d1e8b7a']);
  expect(run.parameter).toBe('3f9c2d1e8b7a');
  expect(called(run, 'aws cloudformation update-stack')).toEqual([
    'aws cloudformation update-stack --stack-name staging-Services --use-previous-template --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND --parameters ParameterKey=ServiceaccountsImageTag3C3791C6,UsePreviousValue=true ParameterKey=BootstrapVersion,UsePreviousValue=true',
  ]);
  // Every AWS call runs as the environment's release role, and the registry password never reaches the log.
  expect(called(run, 'aws configure set profile.release.role_arn')).toEqual(['aws configure set profile.release.role_arn arn:aws:iam::222222222222:role/connect-staging-service-release']);
  expect(run.output).not.toContain('SECRET-REGISTRY-PASSWORD');
  expect(run.output).toContain('staging runs connect/staging/accounts:3f9c2d1e8b7a');
});

test('a CRITICAL finding of the scan stops the release before anything in the environment changes', () => {
  const run = release({ parameter: '1.4.2', critical: '2' });
  expect(run.status).toBe(1);
  expect(run.output).toContain('has 2 CRITICAL finding(s): not released');
  expect(run.parameter).toBe('1.4.2');
  expect(called(run, 'aws ssm put-parameter')).toEqual([]);
  expect(called(run, 'aws cloudformation update-stack')).toEqual([]);
});

test('a deployment ECS rolls back fails the release and puts the previous tag back in the parameter', () => {
  const run = release({ parameter: '1.4.2', statuses: ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'] });
  expect(run.status).toBe(1);
  expect(run.output).toContain('staging-Services: UPDATE_ROLLBACK_COMPLETE (the deployment rolled back)');
  expect(run.parameter).toBe('1.4.2');
});

test('a status read that fails while the update runs is read again: the release waits for the outcome instead of restoring the previous tag', () => {
  const run = release({ parameter: '1.4.2', statuses: ['UPDATE_IN_PROGRESS', 'THROTTLED', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'] });
  expect(run.status).toBe(0);
  expect(run.output).toContain('staging runs connect/staging/accounts:3f9c2d1e8b7a');
  expect(run.parameter).toBe('3f9c2d1e8b7a');
});

test('an image already in the repository is not pushed again (immutable tags), and an unchanged stack is not an error', () => {
  const run = release({ parameter: '3f9c2d1e8b7a', imageExists: true, noUpdates: true });
  expect(run.status).toBe(0);
  expect(called(run, 'docker')).toEqual([]);
  expect(run.output).toContain('staging-Services already runs 3f9c2d1e8b7a');
  expect(run.parameter).toBe('3f9c2d1e8b7a');
});

test('before the environment\'s Services stack exists, the release records the tag its first deploy will run', () => {
  const run = release({ stackExists: false });
  expect(run.status).toBe(0);
  expect(run.parameter).toBe('3f9c2d1e8b7a');
  expect(called(run, 'aws cloudformation update-stack')).toEqual([]);
  expect(run.output).toContain('staging-Services does not exist yet: its first deploy runs 3f9c2d1e8b7a');
});
