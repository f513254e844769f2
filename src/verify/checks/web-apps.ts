import { shellQuote } from '../../lib/shell-quote.js';
import { WEB_APPS, type ExpectedWebApp } from '../mtd-expectations.js';
import { checkRedirectUrl, checkServiceUrl } from '../../setup/urls.js';
import { urlPathProblem } from '../../schema/normalize.js';
import { REIMPORT_FIX, fail, inScope, pass, recordsOf, slug, warn, type Check, type VerifyInput } from './types.js';

const LABELS: Record<string, string> = {
  AUTHORIZATIONURLPATH: 'Authorization URL path',
  TOKENURLPATH: 'Token URL path',
  ACCEPT: 'Accept',
  CONTENTTYPE: 'Content type',
};

function setFix(app: string, option: string, value: string): string {
  return `mtdvat web-apps set ${shellQuote(app)} ${option} ${shellQuote(value)}`;
}

const OPTION: Record<string, string> = {
  AUTHORIZATIONURLPATH: '--authorization-path',
  TOKENURLPATH: '--token-path',
  ACCEPT: '--accept',
  CONTENTTYPE: '--content-type',
  BASEURL: '--base-url',
  REDIRECTURL: '--redirect-url',
};

export function webAppChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  const stored = recordsOf(input, 'WebApplication');
  const names = new Set([...WEB_APPS.map((a) => a.name), ...stored.keys()]);
  for (const name of names) {
    if (!inScope(input.scope.webApps, name)) continue;
    const expected = WEB_APPS.find((a) => a.name === name);
    const id = `web-app.${slug(name)}`;
    const record = stored.get(name);
    if (!record) {
      checks.push(fail(`${id}.exists`, `Web application "${name}" exists`, `There is no web application "${name}" in company ${input.company}.`, REIMPORT_FIX));
      continue;
    }
    checks.push(pass(`${id}.exists`, `Web application "${name}" exists`, expected ? `Found (${expected.kind}).` : 'Found (not part of the MTD VAT package).'));
    checks.push(baseUrlCheck(id, name, record.data.BASEURL ?? '', expected));
    const redirect = record.data.REDIRECTURL ?? '';
    const r = checkRedirectUrl(redirect);
    checks.push(
      r.ok
        ? pass(`${id}.redirect-url`, `Redirect URL of "${name}"`, `"${redirect}" is accepted by HMRC for an installed application.`)
        : fail(
            `${id}.redirect-url`,
            `Redirect URL of "${name}"`,
            `The redirect URL ${r.problem}. HMRC answers "redirect_uri is invalid" unless it is registered exactly.`,
            `${setFix(name, '--redirect-url', 'urn:ietf:wg:oauth:2.0:oob')} (and register the same URI on the HMRC Developer Hub)`,
          ),
    );
    // Every application, predefined or not: a path that is not a path sends the secret elsewhere.
    for (const [field, fallback] of [['AUTHORIZATIONURLPATH', '/oauth/authorize'], ['TOKENURLPATH', '/oauth/token']] as const) {
      const have = record.data[field] ?? '';
      const problem = have ? urlPathProblem(have) : undefined;
      if (problem) {
        checks.push(fail(`${id}.${slug(LABELS[field])}`, `${LABELS[field]} of "${name}"`, `"${have}" ${problem}; requests with the client secret would go to another host.`, setFix(name, OPTION[field], fallback)));
      }
    }
    if (!expected) continue;
    for (const [field, want] of Object.entries(expected.fields)) {
      const have = record.data[field] ?? '';
      if ((field === 'AUTHORIZATIONURLPATH' || field === 'TOKENURLPATH') && have && urlPathProblem(have)) continue; // failed above
      const fid = `${id}.${slug(LABELS[field] ?? field)}`;
      const title = `${LABELS[field] ?? field} of "${name}"`;
      checks.push(
        have === want
          ? pass(fid, title, `"${have}" as HMRC requires.`)
          : fail(fid, title, have ? `Is "${have}"; HMRC requires "${want}".` : `Is empty; HMRC requires "${want}".`, setFix(name, OPTION[field] ?? `--${slug(field)}`, want)),
      );
    }
  }
  return checks;
}

function baseUrlCheck(id: string, name: string, value: string, expected: ExpectedWebApp | undefined): Check {
  const title = `Base URL of "${name}"`;
  const verdict = checkServiceUrl(value);
  const want = expected ? `https://${expected.host}` : 'an https URL';
  if (!verdict.ok) {
    return fail(`${id}.base-url`, title, `The base URL ${verdict.problem}.`, setFix(name, '--base-url', want));
  }
  if (!expected) return pass(`${id}.base-url`, title, `"${value}" uses https or a loopback host.`);
  if (verdict.host === expected.host) return pass(`${id}.base-url`, title, `"${value}" is HMRC's ${expected.kind} host.`);
  if (verdict.loopback && expected.kind === 'sandbox') {
    return pass(`${id}.base-url`, title, `"${value}" is a loopback address (the local HMRC emulator).`);
  }
  const other = WEB_APPS.find((a) => a.host === verdict.host);
  const why = other
    ? `"${value}" is HMRC's ${other.kind} host, but "${name}" is the ${expected.kind} application: requests would go to the wrong environment and its credentials would be rejected.`
    : verdict.loopback
      ? `"${value}" is a loopback address, but "${name}" is the production application.`
      : `"${value}" is not HMRC's ${expected.kind} host ${expected.host}.`;
  return fail(`${id}.base-url`, title, why, setFix(name, '--base-url', want));
}
