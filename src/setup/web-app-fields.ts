/**
 * The editable non-secret fields of a web application (D365's "Web applications" page), with the
 * option name `web-apps set` gives each and its help text. A leaf module: the CLI builds its options
 * from it without loading the schema registry, so `--help` stays fast.
 */
export interface EditableField {
  option: string;
  field: string;
  describe: string;
}

export const EDITABLE_FIELDS: readonly EditableField[] = [
  { option: 'description', field: 'DESCRIPTION', describe: 'Description' },
  { option: 'base-url', field: 'BASEURL', describe: 'Base URL (https; http only for a loopback emulator, e.g. http://127.0.0.1:9797)' },
  { option: 'authorization-path', field: 'AUTHORIZATIONURLPATH', describe: 'Authorization URL path (e.g. /oauth/authorize)' },
  { option: 'token-path', field: 'TOKENURLPATH', describe: 'Token URL path (e.g. /oauth/token)' },
  { option: 'redirect-url', field: 'REDIRECTURL', describe: 'Redirect URL: urn:ietf:wg:oauth:2.0:oob or a loopback URL' },
  { option: 'accept', field: 'ACCEPT', describe: 'Accept header (application/vnd.hmrc.1.0+json)' },
  { option: 'content-type', field: 'CONTENTTYPE', describe: 'Content type (application/json)' },
  { option: 'authorization-format-mapping', field: 'AUTHORIZATIONFORMATMAPPING', describe: 'Authorization format mapping (ER configuration name)' },
  { option: 'import-token-model-mapping', field: 'IMPORTTOKENMODELMAPPING', describe: 'Import token model mapping (ER configuration name)' },
];
