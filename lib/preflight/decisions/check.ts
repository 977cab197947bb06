/** The checks preflight runs, and what each returns: its findings and a status decided from them. */

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

/** One line of a check: what was found, and for a failure what to do. */
export interface Finding {
  readonly ok: boolean;
  readonly text: string;
  readonly fix?: string;
}

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly findings: readonly Finding[];
}

export const CHECKS = {
  credentials: 'credentials',
  bootstrap: 'CDK bootstrap',
  concurrency: 'Lambda concurrency',
  chat: 'chat (AWS Chatbot)',
  hostedZone: 'hosted zone',
  secrets: 'secrets',
  images: 'service images',
  subscriptions: 'e-mail subscriptions',
} as const;

/** FAIL when any finding failed; otherwise PASS (or SKIP for a check the config does not call for). */
export function checkResult(check: string, findings: readonly Finding[], whenOk: 'PASS' | 'SKIP' = 'PASS'): CheckResult {
  return { check, status: findings.some((f) => !f.ok) ? 'FAIL' : whenOk, findings };
}
