/** `text` as a regular expression that matches exactly it (WAF regex patterns, ALB URL rewrites). */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
