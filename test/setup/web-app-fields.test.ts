import { describe, expect, it } from 'vitest';
import { webAppRecordFields } from '../../src/setup/web-app.js';

describe('webAppRecordFields (the one mapping of the WebApplication record)', () => {
  it('maps every non-secret D365 field as stored, empty when missing, and never a secret', () => {
    const f = webAppRecordFields({
      key: ['Sandbox HMRC'],
      data: {
        WEBAPPLICATIONNAME: 'Sandbox HMRC',
        DESCRIPTION: 'd',
        BASEURL: ' https://test-api.service.hmrc.gov.uk/ ',
        AUTHORIZATIONURLPATH: '/oauth/authorize',
        TOKENURLPATH: '/oauth/token',
        REDIRECTURL: 'urn:ietf:wg:oauth:2.0:oob',
        ACCEPT: 'application/vnd.hmrc.1.0+json',
        AUTHORIZATIONFORMATMAPPING: 'm1',
        CLIENTSECRET: 'never-mapped',
      },
    });
    expect(f).toEqual({
      name: 'Sandbox HMRC',
      description: 'd',
      baseUrl: ' https://test-api.service.hmrc.gov.uk/ ',
      authorizationPath: '/oauth/authorize',
      tokenPath: '/oauth/token',
      redirectUrl: 'urn:ietf:wg:oauth:2.0:oob',
      accept: 'application/vnd.hmrc.1.0+json',
      contentType: '',
      authorizationFormatMapping: 'm1',
      importTokenModelMapping: '',
    });
    expect(webAppRecordFields({ key: ['K'], data: {} }).name).toBe('K');
  });
});

describe('EDITABLE_FIELDS (the one list of fields `web-apps set` may change)', () => {
  it('names existing, non-secret, non-key fields of the WebApplication schema, each once', async () => {
    const { EDITABLE_FIELDS } = await import('../../src/setup/web-app-fields.js');
    const { loadSchemas } = await import('../../src/schema/registry.js');
    const schema = loadSchemas().byId('WebApplication');
    for (const f of EDITABLE_FIELDS) {
      const spec = schema.fields.find((s) => s.name === f.field);
      expect(spec, f.field).toBeDefined();
      expect(spec?.secret, f.field).toBeFalsy();
      expect(schema.key, f.field).not.toContain(f.field);
    }
    expect(new Set(EDITABLE_FIELDS.map((f) => f.option)).size).toBe(EDITABLE_FIELDS.length);
    expect(new Set(EDITABLE_FIELDS.map((f) => f.field)).size).toBe(EDITABLE_FIELDS.length);
  });
});
