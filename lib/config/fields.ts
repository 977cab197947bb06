import { z } from 'zod';
import { ipv4Number } from './ipv4';

/** Field formats shared by the config areas: each says in its message what is expected. */

/** The retention periods CloudWatch Logs accepts (days). "Never expire" is deliberately not offered. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const CIDR = /^([\d.]+)\/(\d{1,2})$/;

export function isIpv4Cidr(value: string, minPrefix = 0, maxPrefix = 32): boolean {
  const match = CIDR.exec(value);
  if (!match || ipv4Number(match[1]) === undefined) return false;
  const prefix = Number(match[2]);
  return prefix >= minPrefix && prefix <= maxPrefix;
}

export const ipCidr = z.string().refine((value) => isIpv4Cidr(value), { message: 'expected an IPv4 address range in CIDR form, e.g. "203.0.113.0/24"' });
export const awsAccount = z.string().regex(/^\d{12}$/, { message: 'expected a 12-digit AWS account id as a string, e.g. "111111111111"' });
export const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: 'expected an AWS region name, e.g. "us-east-1"' });
export const email = z.email({ message: 'expected an e-mail address' });
export const httpsUrl = z.url({ protocol: /^https$/, message: 'expected an https:// URL' });
export const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: 'expected a lower-case DNS name, e.g. "api.example.com"' });
export const acmCertificateArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, { message: 'expected an ACM certificate ARN' });
/** A complete secret ARN (with the 6-character suffix Secrets Manager adds), optionally `:<json-key>`. */
export const completeSecretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}(:[A-Za-z0-9_.-]+)?$/, {
    message: 'expected a complete Secrets Manager secret ARN (ending in the 6-character suffix), optionally followed by :<json-key>',
  });
export const secretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, { message: 'expected a Secrets Manager secret ARN' });
export const name = z.string().regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, { message: 'expected a lower-case name of letters, digits and dashes (2-32 characters)' });
export const scope = z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, { message: 'expected a scope name like "customers.write"' });
export const logRetentionDays = z
  .number()
  .refine((value) => (LOG_RETENTION_DAYS as readonly number[]).includes(value), {
    message: `expected one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
  });
export const positiveInt = z.number().int({ message: 'expected a whole number' }).positive({ message: 'expected a number above 0' });
/** A whole number in [min, max] with one message for every way a value can miss it. */
export function intInRange(min: number, max: number, message: string) {
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}
