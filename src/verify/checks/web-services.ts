import { WEB_SERVICES } from '../mtd-expectations.js';
import { checkServiceOrigin, checkServiceUrl } from '../../setup/urls.js';
import { REIMPORT_FIX, fail, inScope, pass, recordsOf, slug, type Check, type VerifyInput } from './types.js';

const FIELD_TITLES: Record<string, string> = {
  REQUESTACCEPT: 'Accept',
  REQUESTCONTENTTYPE: 'Content type',
  REQUESTTYPEXML: 'Request type – XML',
};

export function webServiceChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  const stored = recordsOf(input, 'WebService');
  const apps = recordsOf(input, 'WebApplication');
  const names = new Set([...WEB_SERVICES.map((s) => s.name), ...stored.keys()]);
  for (const name of names) {
    if (!inScope(input.scope.webServices, name)) continue;
    const expected = WEB_SERVICES.find((s) => s.name === name);
    const id = `web-service.${slug(name)}`;
    const record = stored.get(name);
    if (!record) {
      checks.push(fail(`${id}.exists`, `Web service "${name}" exists`, `There is no web service "${name}"; the actions that call it cannot reach HMRC.`, REIMPORT_FIX));
      continue;
    }
    checks.push(pass(`${id}.exists`, `Web service "${name}" exists`, 'Found.'));
    const d = record.data;
    const appName = d.WEBAPPLICATIONNAME ?? '';
    const appTitle = `Web application of "${name}"`;
    if (expected && appName !== expected.webApp) {
      checks.push(
        fail(`${id}.web-application`, appTitle, appName ? `Points at "${appName}"; it must use "${expected.webApp}".` : `No web application is set; it must use "${expected.webApp}".`, `Set the web application of "${name}" to "${expected.webApp}" in the package and re-import it.`),
      );
    } else if (!appName) {
      checks.push(fail(`${id}.web-application`, appTitle, 'No web application is set.', 'Set the web application of the web service and re-import the package.'));
    } else if (!apps.has(appName)) {
      checks.push(fail(`${id}.web-application`, appTitle, `Points at "${appName}", which does not exist.`, REIMPORT_FIX));
    } else {
      checks.push(pass(`${id}.web-application`, appTitle, `Uses "${appName}".`));
    }
    if (expected) {
      const method = d.REQUESTMETHOD ?? '';
      checks.push(
        method === expected.method
          ? pass(`${id}.method`, `Request method of "${name}"`, `${method}.`)
          : fail(`${id}.method`, `Request method of "${name}"`, `Is "${method}"; HMRC needs ${expected.method}.`, `Set the request method of "${name}" to ${expected.method} and re-import the package.`),
      );
      const code = d.SUCCESSFULRESPONSECODE ?? '';
      checks.push(
        code === expected.successCode
          ? pass(`${id}.success-code`, `Successful response code of "${name}"`, `${code}.`)
          : fail(
              `${id}.success-code`,
              `Successful response code of "${name}"`,
              `Is "${code || 'empty'}"; HMRC answers ${expected.method} with ${expected.successCode}, so every successful call would be treated as an error.`,
              `Set the successful response code of "${name}" to ${expected.successCode} and re-import the package.`,
            ),
      );
      for (const [field, want] of Object.entries(expected.fields)) {
        const have = d[field] ?? '';
        const title = `${FIELD_TITLES[field] ?? field} of "${name}"`;
        checks.push(
          have === want
            ? pass(`${id}.${slug(FIELD_TITLES[field] ?? field)}`, title, `"${have}".`)
            : fail(`${id}.${slug(FIELD_TITLES[field] ?? field)}`, title, `Is "${have}"; HMRC needs "${want}".`, `Set ${FIELD_TITLES[field] ?? field} of "${name}" to "${want}" and re-import the package.`),
        );
      }
    }
    // Internet address: D365 copies the web application's base URL here ("Copy base URL").
    const address = d.INTERNETADDRESS ?? '';
    const addrTitle = `Internet address of "${name}"`;
    const base = apps.get(appName)?.data.BASEURL ?? '';
    if (!address) {
      checks.push(pass(`${id}.internet-address`, addrTitle, base ? `Empty: requests use the base URL of "${appName}" (${base}).` : 'Empty.'));
    } else {
      const v = checkServiceUrl(address);
      if (!v.ok) {
        checks.push(fail(`${id}.internet-address`, addrTitle, `The internet address ${v.problem}.`, `Set the internet address of "${name}" to the base URL of "${appName}" (${base || 'https://…'}).`));
      } else {
        const origin = checkServiceOrigin(address, base);
        checks.push(
          origin.ok
            ? pass(`${id}.internet-address`, addrTitle, `"${address}".`)
            : fail(`${id}.internet-address`, addrTitle, `The internet address ${origin.problem}.`, `Set the internet address of "${name}" to "${base}" (D365: "Copy base URL") in the package and re-import it.`),
        );
      }
    }
  }
  return checks;
}
