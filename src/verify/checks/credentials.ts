import { shellQuote } from '../../lib/shell-quote.js';
import { MtdvatError } from '../../errors.js';
import { listSecrets, secretAddress } from '../../store/secrets.js';
import type { Vault } from '../../vault/vault.js';
import { DEFAULT_SANDBOX_CLIENT, DEFAULT_SANDBOX_PORT } from '../../lib/emulator-defaults.js';
import { WEB_APPS } from '../mtd-expectations.js';
import { isPlaceholder } from '../../lib/placeholders.js';
import { isLoopbackHost } from '../../setup/urls.js';
import { fail, inScope, pass, recordsOf, slug, warn, type Check, type VerifyInput } from './types.js';

const FIELDS = [
  { field: 'CLIENTID', label: 'Client ID', required: true },
  { field: 'CLIENTSECRET', label: 'Client secret', required: true },
  { field: 'SERVERTOKEN', label: 'Server token', required: false },
];

function setFix(app: string): string {
  return `mtdvat web-apps set-credentials ${shellQuote(app)} (the secret is read from a hidden prompt or --secret-stdin)`;
}

/**
 * Client ID and secret of every web application: set, encrypted, and decryptable with the current key.
 * Values are decrypted only to classify them (placeholder or not) and are never put into a check.
 */
export async function credentialChecks(input: VerifyInput): Promise<Check[]> {
  const checks: Check[] = [];
  const apps = [...recordsOf(input, 'WebApplication').values()].filter((r) => inScope(input.scope.webApps, r.data.WEBAPPLICATIONNAME));
  if (!apps.length) return checks;

  let vault: Vault | undefined;
  try {
    vault = await input.ctx.vault();
    checks.push(pass('credentials.key', 'Encryption key', `The key (${vault.keyId}, from ${vault.source === 'env' ? 'MTDVAT_MASTER_KEY' : vault.location}) opens.`));
  } catch (error) {
    if (!(error instanceof MtdvatError)) throw error;
    const noKey = /^no key/.test(error.message);
    checks.push(
      fail(
        'credentials.key',
        'Encryption key',
        noKey ? `No key: MTDVAT_MASTER_KEY is not set and ${input.ctx.paths.keyFile} does not exist, so no stored secret can be decrypted.` : `The key cannot be opened: ${error.message}.`,
        noKey
          ? `Set MTDVAT_MASTER_KEY to the key used when the setup was imported, or restore ${input.ctx.paths.keyFile} from a backup. If the key is lost, re-import the package and run mtdvat web-apps set-credentials again.`
          : 'Fix the key source named above (file permissions, MTDVAT_MASTER_KEY, MTDVAT_PASSPHRASE).',
      ),
    );
  }

  for (const app of apps) {
    const name = app.data.WEBAPPLICATIONNAME;
    const expected = WEB_APPS.find((a) => a.name === name);
    const secrets = new Map(listSecrets(input.ctx.db, input.company, 'WebApplication', app.key).map((s) => [s.field, s]));
    // A placeholder where a verified processing needs a real credential is a failure, elsewhere a warning.
    const used = input.usedWebApps?.has(name) ?? true;
    for (const { field, label, required } of FIELDS) {
      const id = `credentials.${slug(name)}.${slug(label)}`;
      const title = `${label} of "${name}"`;
      const plaintext = app.data[field];
      if (plaintext) {
        checks.push(fail(id, title, `The ${label.toLowerCase()} is stored in plain text in the record.`, `${setFix(name)}; it will be stored encrypted.`));
        continue;
      }
      const secret = secrets.get(field);
      if (!secret) {
        if (required) {
          checks.push(
            (used ? fail : warn)(id, title, `The ${label.toLowerCase()} is not set (empty).${used ? ' A verified processing uses this application.' : ' No verified processing uses this application.'}`, setFix(name)),
          );
        }
        continue;
      }
      if (!vault) {
        checks.push(warn(id, title, `Set (encrypted), but not verified: the key is unavailable (see "Encryption key").`, 'Make the key available, then run mtdvat verify again.'));
        continue;
      }
      let value: string;
      try {
        value = vault.decrypt(secret.value, secret.keyId, secretAddress(input.company, 'WebApplication', app.key, field));
      } catch (error) {
        if (!(error instanceof MtdvatError)) throw error;
        checks.push(
          fail(
            id,
            title,
            `Stored encrypted but cannot be decrypted: ${error.message}.`,
            `If the key changed, set MTDVAT_MASTER_KEY (or restore the key file) to the key used when it was stored. Otherwise the value is damaged: ${setFix(name)}.`,
          ),
        );
        continue;
      }
      const problem = classify(value, field, name, app.data.BASEURL ?? '', expected?.kind);
      const emulatorHint = expected?.kind === 'sandbox' ? ` To use the local emulator instead: mtdvat web-apps set ${shellQuote(name)} --base-url http://127.0.0.1:${DEFAULT_SANDBOX_PORT}` : '';
      const usedBy = used ? ' A verified processing uses this application.' : '';
      const placeholder = problem !== undefined && isPlaceholder(value);
      checks.push(
        problem
          ? (placeholder && used ? fail : warn)(id, title, `Set (encrypted) and decrypts with the current key, but ${problem}.${placeholder ? usedBy : ''}`, `${setFix(name)}.${emulatorHint}`)
          : pass(id, title, 'Set (encrypted) and decrypts with the current key.'),
      );
    }
  }
  return checks;
}

/** Why a decrypted value looks unusable, without ever quoting it. */
function classify(value: string, field: string, app: string, baseUrl: string, kind: string | undefined): string | undefined {
  if (value.trim() === '') return 'it is blank';
  if (isPlaceholder(value)) return 'it is a demo/placeholder value, not a real credential';
  const emulatorValue = field === 'CLIENTID' ? DEFAULT_SANDBOX_CLIENT.clientId : field === 'CLIENTSECRET' ? DEFAULT_SANDBOX_CLIENT.clientSecret : undefined;
  if (emulatorValue && value === emulatorValue) {
    let loopback = false;
    try {
      loopback = isLoopbackHost(new URL(baseUrl).hostname);
    } catch {
      // an invalid base URL is reported by the web-app checks
    }
    if (!loopback) return `it is the local emulator's public demo credential, which HMRC's ${kind ?? ''} service will reject for "${app}"`.replace('  ', ' ');
  }
  return undefined;
}
